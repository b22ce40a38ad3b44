// Writes the package.json of the main npm package (optionalDependencies on every platform
// package, no .node file) and one folder per platform package (napi-rs convention), all at the
// main package's version. Called by scripts/dist-npm.sh:
//   node dist-npm-packages.mjs MAIN_DIR STAGE_DIR PLATFORM...
// STAGE_DIR/addons/delegir.<platform>.node must exist; STAGE_DIR/npm-<platform>/ is written.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [mainDir, stageDir, ...platforms] = process.argv.slice(2);
const mainJson = JSON.parse(readFileSync(join(mainDir, 'package.json'), 'utf8'));
const { name, version, license, repository, engines } = mainJson;
const binaryName = mainJson.napi?.binaryName ?? name;

// What npm compares with `process.platform`, `process.arch` and the C library it detects.
const fields = {
  'linux-x64-gnu': { os: ['linux'], cpu: ['x64'], libc: ['glibc'] },
  'linux-arm64-gnu': { os: ['linux'], cpu: ['arm64'], libc: ['glibc'] },
  'linux-x64-musl': { os: ['linux'], cpu: ['x64'], libc: ['musl'] },
  'linux-arm64-musl': { os: ['linux'], cpu: ['arm64'], libc: ['musl'] },
  'darwin-x64': { os: ['darwin'], cpu: ['x64'] },
  'darwin-arm64': { os: ['darwin'], cpu: ['arm64'] },
  'win32-x64-msvc': { os: ['win32'], cpu: ['x64'] },
};

for (const platform of platforms) {
  if (!fields[platform]) throw new Error(`no npm fields known for platform ${platform}`);
  const dir = join(stageDir, `npm-${platform}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const file = `${binaryName}.${platform}.node`;
  copyFileSync(join(stageDir, 'addons', file), join(dir, file));
  // The licenses travel with the binary too.
  for (const license of ['LICENSE-MIT', 'LICENSE-APACHE']) copyFileSync(join(mainDir, license), join(dir, license));
  const pkg = {
    name: `${name}-${platform}`,
    version,
    description: `The ${platform} native addon of the ${name} npm package (installed by it; not for direct use)`,
    license,
    repository,
    main: file,
    files: [file, 'LICENSE-MIT', 'LICENSE-APACHE'],
    ...fields[platform],
    engines,
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  writeFileSync(
    join(dir, 'README.md'),
    `# ${pkg.name}\n\nThe \`${platform}\` build of the native addon of [\`${name}\`](https://www.npmjs.com/package/${name}). ` +
      `Install \`${name}\`, which depends on this package through \`optionalDependencies\`; npm installs only the ` +
      `package that matches the machine (\`os\`, \`cpu\`, \`libc\`).\n`,
  );
}

// Every platform the release publishes, not only those built here: a release built on one
// machine still names them all (scripts/dist.sh builds the Linux ones; release.yml all).
const published = (process.env.DELEGIR_NPM_PLATFORMS ?? Object.keys(fields).join(' ')).split(/\s+/).filter(Boolean);
mainJson.optionalDependencies = Object.fromEntries(published.map((p) => [`${name}-${p}`, version]));
delete mainJson.devDependencies;
delete mainJson.scripts;
writeFileSync(join(mainDir, 'package.json'), `${JSON.stringify(mainJson, null, 2)}\n`);
