// Whether the CI environment variable says this runs in CI. Set and not
// empty, "false" or "0": `CI=false npm run build` is a known way to say
// "not CI" (bin/megatest.js reads it the same way, in its own copy, before
// any of the CLI is loaded).

export function ciIsSet(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== 'false' && value !== '0';
}
