// Parses the shipped TOML files (config/) into dist/parsed-config.json, and
// checks the default layers and presets as a load does: every configuration
// load then takes an unchanged shipped file's values and verdict from it
// instead of parsing and checking the file again (src/config/parsedShipped.ts
// says why).
//
//   node scripts/parseShippedConfig.mjs   (run by `npm run build`, after tsc)

const { buildParsedShipped } = await import('../dist/config/buildParsedShipped.js');
const { leftOut, unchecked } = buildParsedShipped();
// Not errors: a file left out is parsed and checked from its TOML at each load, one not checked is checked
// there, as without the cache, and the load names what is wrong.
for (const reason of leftOut) process.stderr.write(`parsed config: left out ${reason}\n`);
for (const reason of unchecked) process.stderr.write(`parsed config: cached unchecked: ${reason}\n`);
