import {
  Controller,
  Get,
  Header,
  Inject,
  NotFoundException,
  Param,
  Req,
  StreamableFile,
  UseGuards,
} from '@nestjs/common';
import { DashboardAccessGuard } from './dashboard-access.guard.js';
import { dashboardPage, type DashboardAsset, loadDashboardAssets } from './dashboard-assets.js';
import {
  DASHBOARD_OPTIONS,
  type DashboardRequest,
  type ResolvedDashboardOptions,
} from './dashboard.options.js';

/** Same-origin only: the page loads nothing from anywhere else. */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'none'";

/** The page and its built assets, behind the same guard as the API. */
@Controller()
@UseGuards(DashboardAccessGuard)
export class DashboardPageController {
  private readonly assets: Map<string, DashboardAsset> = loadDashboardAssets();

  constructor(@Inject(DASHBOARD_OPTIONS) private readonly options: ResolvedDashboardOptions) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', CSP)
  @Header('Cache-Control', 'no-store')
  page(@Req() request: DashboardRequest): string {
    const url = request.originalUrl ?? request.url ?? this.options.path;
    return dashboardPage(url.split('?')[0]!, this.options.title, this.assets.has('app.js'));
  }

  @Get('assets/:file')
  @Header('Cache-Control', 'no-cache')
  asset(@Param('file') file: string): StreamableFile {
    const asset = this.assets.get(file);
    if (!asset) throw new NotFoundException();
    return new StreamableFile(asset.body, { type: asset.type, length: asset.body.length });
  }
}
