// Validate appcore-server's OpenAPI document with @apidevtools/swagger-parser, then check
// answers the real server gave against the schemas the document declares for them (with
// Ajv, which swagger-parser brings).
//   node validate.cjs NODE_MODULES DOCUMENT SAMPLES
// SAMPLES is a JSON array of {path (template), method, status, request, body}: request is
// the JSON body sent when it was a valid one (checked against the requestBody schema), body
// the JSON answer or null when it had none.
"use strict";
const fs = require("fs");
const path = require("path");

const [modules, documentPath, samplesPath] = process.argv.slice(2);
const SwaggerParser = require(path.join(modules, "@apidevtools", "swagger-parser"));
const Ajv = require(path.join(modules, "ajv"));

async function main() {
  // the document itself: OpenAPI 3.0 schema, references, path parameters
  await SwaggerParser.validate(documentPath);
  const api = await SwaggerParser.dereference(documentPath);
  // OpenAPI 3.0 schemas are JSON Schema plus "nullable", which Ajv understands
  const ajv = new Ajv({ strict: false, allErrors: true });
  const samples = JSON.parse(fs.readFileSync(samplesPath, "utf8"));
  const failures = [];
  const check = (what, schema, value) => {
    const validate = ajv.compile(schema);
    if (!validate(value))
      failures.push(`${what}: ${ajv.errorsText(validate.errors)}\n  ${JSON.stringify(value).slice(0, 300)}`);
  };
  for (const s of samples) {
    const where = `${s.method.toUpperCase()} ${s.path} -> ${s.status}`;
    const operation = (api.paths[s.path] || {})[s.method];
    if (!operation) {
      failures.push(`${where}: not in the document`);
      continue;
    }
    if (s.request !== undefined && s.request !== null) {
      const body = operation.requestBody && operation.requestBody.content["application/json"];
      if (!body) failures.push(`${where}: sent a body the document does not describe`);
      else check(`${where} (request)`, body.schema, s.request);
    }
    const response = operation.responses[String(s.status)];
    if (!response) {
      failures.push(`${where}: status not documented`);
      continue;
    }
    const media = response.content && response.content["application/json"];
    if (s.body === null) {
      if (media) failures.push(`${where}: documented as JSON, answered without a body`);
    } else if (!media) {
      failures.push(`${where}: answered JSON the document does not describe`);
    } else {
      check(where, media.schema, s.body);
    }
  }
  if (failures.length > 0) {
    console.error(failures.join("\n"));
    process.exit(1);
  }
  console.log(`valid: ${Object.keys(api.paths).length} paths, ${samples.length} answers checked`);
}

main().catch((error) => {
  console.error(`invalid document: ${error.message}`);
  process.exit(1);
});
