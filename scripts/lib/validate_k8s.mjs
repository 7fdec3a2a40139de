// Validate rendered Kubernetes manifests offline against the Kubernetes OpenAPI schemas.
//   node scripts/lib/validate_k8s.mjs NODE_MODULES FILE...    (multi-document YAML files)
// Per document:
//   1. the schema validation of the npm package kubernetes-models (generated from the Kubernetes
//      OpenAPI spec; @kubernetes-models/prometheus-operator for ServiceMonitor): types, required
//      fields, enums;
//   2. unknown fields, which those schemas let through (the API server refuses them under
//      kubectl's default --validate=strict): every key is checked against the field list of its
//      type, read from the packages' type declarations.
// KServe's ServingRuntime and InferenceService have no package: their containers are checked as
// core/v1 Containers (both steps), the rest of their spec is not (docs/kubernetes.md says so).
// Prints one line per problem and a summary; exits 1 on any problem.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [modules, ...files] = process.argv.slice(2);
const req = (p) => import(pathToFileURL(path.join(modules, p)).href);
const yaml = (await req("js-yaml/dist/js-yaml.mjs")).default;

// --- field lists from the .d.ts files ---
// interfaces: "FILE::NAME" -> {fields: {field: type text}, ext: [...], file}; the long, globally
// unique names (IIoK8sApiCoreV1Container, ...) are aliases exported by each file.
const interfaces = new Map();
const aliases = new Map();
function scan(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) { if (e.name !== "node_modules") scan(p); }
    else if (e.name.endsWith(".d.ts")) parse(p, fs.readFileSync(p, "utf8"));
  }
}
function parse(file, text) {
  text = text.replace(/\/\*[\s\S]*?\*\//g, "");
  for (const m of text.matchAll(/export type \{([^}]*)\}/g))
    for (const part of m[1].split(",")) {
      const a = part.trim().match(/^(\w+) as (\w+)$/);
      if (a) aliases.set(a[2], `${file}::${a[1]}`);
    }
  const re = /export interface (\w+)(?: extends ([\w, ]+))? \{/g;
  let m;
  while ((m = re.exec(text))) {
    let depth = 1, i = re.lastIndex;
    while (depth && i < text.length) { if (text[i] === "{") depth++; else if (text[i] === "}") depth--; i++; }
    const body = text.slice(re.lastIndex, i - 1);
    const fields = {};
    for (const f of body.matchAll(/^ {4}"([^"]+)"\??: ([^;\n]*(?:\{[^]*?\n {4}\})?)/gm)) fields[f[1]] = f[2];
    const ext = (m[2] || "").split(",").map((x) => x.trim()).filter(Boolean);
    interfaces.set(`${file}::${m[1]}`, { fields, ext, file });
  }
}
for (const p of ["kubernetes-models", "@kubernetes-models/apimachinery", "@kubernetes-models/prometheus-operator"])
  scan(path.join(modules, p));

function resolve(name, file) {
  if (aliases.has(name)) return aliases.get(name);
  const local = `${file}::${name}`;
  return interfaces.has(local) ? local : null;
}
function fieldsOf(key) {
  const it = interfaces.get(key);
  if (!it) return null;
  const all = { ...it.fields };
  for (const e of it.ext) {
    if (e === "TypeMeta") { all.apiVersion = "string"; all.kind = "string"; continue; }
    const k = resolve(e, it.file);
    if (k) Object.assign(all, fieldsOf(k) || {});
  }
  return all;
}
// the interface a type text refers to, and whether it is an array / a map of it
function shape(type) {
  type = type.trim();
  let m = type.match(/^Array<(\w+)>$/);
  if (m) return { kind: "array", name: m[1] };
  m = type.match(/^\{\s*\[key: string\]: (\w+);?\s*\}$/s);
  if (m) return { kind: "map", name: m[1] };
  m = type.match(/^(I\w+)$/);
  if (m) return { kind: "one", name: m[1] };
  return null;
}
function strict(value, key, where, problems) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return;
  const fields = fieldsOf(key);
  if (!fields || Object.keys(fields).length === 0) return; // free-form (e.g. RawExtension)
  const file = interfaces.get(key).file;
  for (const [k, v] of Object.entries(value)) {
    if (!(k in fields)) { problems.push(`${where}.${k}: unknown field`); continue; }
    const s = shape(fields[k]);
    const sub = s && resolve(s.name, file);
    if (!sub) continue;
    if (s.kind === "array" && Array.isArray(v)) v.forEach((x, i) => strict(x, sub, `${where}.${k}[${i}]`, problems));
    else if (s.kind === "map" && v && typeof v === "object") for (const [mk, mv] of Object.entries(v)) strict(mv, sub, `${where}.${k}.${mk}`, problems);
    else if (s.kind === "one") strict(v, sub, `${where}.${k}`, problems);
  }
}
function topLevel(apiVersion, kind) {
  const base = apiVersion === "monitoring.coreos.com/v1"
    ? path.join(modules, "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1")
    : path.join(modules, "kubernetes-models", apiVersion.includes("/") ? apiVersion : "v1");
  const key = `${path.join(base, kind)}.d.ts::I${kind}`;
  return interfaces.has(key) ? key : null;
}

// --- the model class of a document ---
async function modelFor(apiVersion, kind) {
  if (apiVersion === "monitoring.coreos.com/v1")
    return (await req("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/index.js"))[kind];
  const group = apiVersion.includes("/") ? apiVersion : `v1`;
  try { return (await req(`kubernetes-models/${group}/index.js`))[kind]; } catch { return undefined; }
}

let problems = [], checked = 0, partial = 0;
const Container = (await req("kubernetes-models/v1/index.js")).Container;
for (const file of files) {
  const docs = yaml.loadAll(fs.readFileSync(file, "utf8")).filter(Boolean);
  for (const doc of docs) {
    const where = `${path.basename(file)}: ${doc.kind}/${doc.metadata?.name}`;
    const found = [];
    if (doc.apiVersion?.startsWith("serving.kserve.io/")) {
      partial++;
      const containers = doc.kind === "ServingRuntime" ? doc.spec?.containers || [] : [];
      containers.forEach((c, i) => {
        try { new Container(c).validate(); } catch (e) { found.push(`containers[${i}]: ${e.message}`); }
        strict(c, aliases.get("IIoK8sApiCoreV1Container"), `containers[${i}]`, found);
      });
      if (doc.kind === "InferenceService" && !doc.spec?.predictor?.model?.runtime) found.push("spec.predictor.model.runtime missing");
    } else {
      const Model = await modelFor(doc.apiVersion, doc.kind);
      if (!Model) { problems.push(`${where}: no schema for ${doc.apiVersion} ${doc.kind}`); continue; }
      try { new Model(doc).validate(); } catch (e) { found.push(e.message); }
      // the Model's own interface (IDeployment ...) lists apiVersion/kind/metadata/spec
      const top = topLevel(doc.apiVersion, doc.kind);
      if (top) strict(doc, top, doc.kind, found);
      else found.push("no type declaration to check unknown fields against");
      checked++;
    }
    for (const f of found) problems.push(`${where}: ${f}`);
  }
}
for (const p of problems) console.log("FAIL", p);
console.log(`kubernetes manifests: ${checked} objects validated against the Kubernetes OpenAPI schemas ` +
  `(+ unknown fields), ${partial} KServe objects checked in part (containers); ${problems.length} problems`);
process.exit(problems.length ? 1 : 0);
