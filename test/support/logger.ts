import type { LoggerService } from '@nestjs/common';

/** A logger that records what it is given, for asserting on log lines. */
export class RecordingLogger implements LoggerService {
  readonly lines: { level: string; message: string }[] = [];
  log(message: unknown) {
    this.lines.push({ level: 'log', message: String(message) });
  }
  warn(message: unknown) {
    this.lines.push({ level: 'warn', message: String(message) });
  }
  error(message: unknown) {
    this.lines.push({ level: 'error', message: String(message) });
  }
  messages(level?: string): string[] {
    return this.lines.filter((line) => !level || line.level === level).map((line) => line.message);
  }
}
