import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The sample's embedded SQLite database, in `DATA_DIR` (default: a folder under the OS temp dir). */
@Injectable()
export class DatabaseService implements OnApplicationShutdown {
  readonly file: string;
  readonly db: Database.Database;

  constructor() {
    const dir = process.env.DATA_DIR ?? join(tmpdir(), 'nestjs-heartbeat-sample');
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'sample.sqlite');
    this.db = new Database(this.file);
    this.db.exec('CREATE TABLE IF NOT EXISTS visits (id INTEGER PRIMARY KEY, at TEXT NOT NULL)');
  }

  /** Closed after the HTTP server, so requests served during the shutdown delay still have it. */
  onApplicationShutdown(): void {
    if (this.db.open) this.db.close();
  }
}
