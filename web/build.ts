/**
 * Builds the web UI (web/src, Preact + TypeScript) into web/dist with esbuild: hashed, bundled assets
 * under dist/assets and an index.html that loads them (no inline script or style, so the API's strict
 * Content-Security-Policy holds). Nothing is fetched from the network at build or run time.
 *
 * `ensureWebBuild()` builds only when web/dist is missing or stale (its stamp is a hash of every input),
 * so `npm start` and the test stack call it on every start at almost no cost.
 * CLI: `npm run build:web` (always builds).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { build, type Metafile } from 'esbuild';

/** web/ (also when this file runs compiled, from dist/web/). */
const WEB_DIR = existsSync(path.join(__dirname, 'src', 'index.html')) ? __dirname : path.resolve(__dirname, '..', '..', 'web');
export const WEB_SRC = path.join(WEB_DIR, 'src');
export const WEB_DIST = path.join(WEB_DIR, 'dist');
const STAMP = '.build-stamp';
/** Files copied to the root of dist as they are. */
const STATIC_FILES = ['favicon.svg'];

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full));
    else if (entry.isFile()) out.push(full);
  }
  return out.sort();
}

function packageVersion(name: string): string {
  const file = require.resolve(`${name}/package.json`, { paths: [WEB_DIR] });
  return String((JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version);
}

/** A hash of everything the build reads: the sources, this file, and the versions of its tools. */
export function webInputsHash(): string {
  const hash = createHash('sha256');
  for (const file of [...listFiles(WEB_SRC), __filename]) {
    hash.update(path.relative(WEB_DIR, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  hash.update(`preact@${packageVersion('preact')} esbuild@${packageVersion('esbuild')}`);
  return hash.digest('hex');
}

export interface WebBuildResult {
  dir: string;
  built: boolean;
  ms: number;
  files: string[];
}

function outputFor(metafile: Metafile, entry: string, ext: string, root: string): string {
  for (const [file, output] of Object.entries(metafile.outputs)) {
    // Output paths are relative to the working directory (web/).
    if (output.entryPoint === entry && file.endsWith(ext)) return `/${path.relative(root, path.resolve(WEB_DIR, file)).split(path.sep).join('/')}`;
  }
  throw new Error(`esbuild produced no ${ext} output for ${entry}`);
}

/** Builds into a fresh folder beside `outDir`, then swaps it in, so a server never sees half a build. */
export async function buildWeb(options: { outDir?: string; minify?: boolean } = {}): Promise<WebBuildResult> {
  const started = Date.now();
  const outDir = options.outDir ?? WEB_DIST;
  const stamp = webInputsHash();
  const tmp = `${outDir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  mkdirSync(tmp, { recursive: true });
  try {
    const result = await build({
      absWorkingDir: WEB_DIR,
      entryPoints: { app: 'src/main.tsx', styles: 'src/styles.css' },
      outdir: path.join(tmp, 'assets'),
      entryNames: '[name]-[hash]',
      assetNames: '[name]-[hash]',
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: ['chrome115', 'firefox115', 'safari16'],
      jsx: 'automatic',
      jsxImportSource: 'preact',
      tsconfig: path.join(WEB_SRC, 'tsconfig.json'),
      minify: options.minify ?? true,
      sourcemap: 'linked',
      metafile: true,
      legalComments: 'none',
      define: { 'process.env.NODE_ENV': '"production"' },
      logLevel: 'silent',
    });
    const appJs = outputFor(result.metafile, 'src/main.tsx', '.js', tmp);
    const stylesCss = outputFor(result.metafile, 'src/styles.css', '.css', tmp);
    const html = readFileSync(path.join(WEB_SRC, 'index.html'), 'utf8')
      .replace('%APP_JS%', appJs)
      .replace('%STYLES_CSS%', stylesCss);
    if (/%[A-Z_]+%/.test(html)) throw new Error('web/src/index.html has a placeholder the build does not fill');
    writeFileSync(path.join(tmp, 'index.html'), html);
    for (const file of STATIC_FILES) copyFileSync(path.join(WEB_SRC, file), path.join(tmp, file));
    writeFileSync(path.join(tmp, STAMP), stamp);

    // Swap. Two processes building at once both end with a complete build of the same inputs.
    for (let attempt = 0; ; attempt++) {
      rmSync(outDir, { recursive: true, force: true });
      try {
        renameSync(tmp, outDir);
        break;
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
    return { dir: outDir, built: true, ms: Date.now() - started, files: listFiles(outDir).map((f) => path.relative(outDir, f)) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function webBuildIsCurrent(outDir: string = WEB_DIST): boolean {
  const stampFile = path.join(outDir, STAMP);
  if (!existsSync(stampFile) || !existsSync(path.join(outDir, 'index.html'))) return false;
  return readFileSync(stampFile, 'utf8') === webInputsHash();
}

let ensuring: Promise<WebBuildResult> | undefined;

/** Builds web/dist when it is missing or older than its inputs; once per process. */
export function ensureWebBuild(): Promise<WebBuildResult> {
  ensuring ??= (async () => {
    const started = Date.now();
    if (webBuildIsCurrent()) return { dir: WEB_DIST, built: false, ms: Date.now() - started, files: [] };
    return buildWeb();
  })();
  ensuring.catch(() => {
    ensuring = undefined;
  });
  return ensuring;
}

if (require.main === module) {
  buildWeb()
    .then((r) => {
      const sizes = r.files
        .filter((f) => !f.endsWith('.map'))
        .map((f) => `  ${f}  ${(statSync(path.join(r.dir, f)).size / 1024).toFixed(1)} KiB`);
      process.stdout.write(`web UI built into ${path.relative(process.cwd(), r.dir) || '.'} in ${r.ms} ms\n${sizes.join('\n')}\n`);
    })
    .catch((err: unknown) => {
      process.stderr.write(`web UI build failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
