import { Controller, Get, Header } from '@nestjs/common';
import { CONSOLE_CSS } from './console.css';

/** The console's static assets, compiled into the app: nothing is fetched from elsewhere at run time. */
@Controller('assets')
export class AssetsController {
  @Get('console.css')
  @Header('content-type', 'text/css; charset=utf-8')
  @Header('cache-control', 'public, max-age=3600')
  css(): string {
    return CONSOLE_CSS;
  }
}
