import { Controller, Get } from '@nestjs/common';
import { DatabaseService } from './database.service.js';

/** An ordinary route of the sample app, beside the probes. */
@Controller()
export class AppController {
  constructor(private readonly database: DatabaseService) {}

  @Get()
  hello() {
    const { visits } = this.database.db
      .prepare("INSERT INTO visits (at) VALUES (datetime('now')) RETURNING (SELECT COUNT(*) + 1 FROM visits) AS visits")
      .get() as { visits: number };
    return { hello: 'world', visits };
  }
}
