// Generated from schemas/manifest.schema.json by Ajv 8.20.0 (standalone code): do not edit.
// Regenerate with `npm run generate`; see generate-manifest-validator.ts.
// @ts-nocheck
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const validate = validate0;
export default validate0;
const schema0 = {"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"urn:bulkhead:schema:plugin-manifest:1","title":"Bulkhead plugin manifest (bulkhead-plugin.json)","description":"Describes one installed plugin: what to run, where, with what, and what it needs. Relative paths are relative to the directory that holds the manifest.","type":"object","required":["manifestVersion","name","version","entry"],"additionalProperties":false,"properties":{"$schema":{"description":"Where editors find this schema, for completion and checking (ignored by Bulkhead).","type":"string"},"manifestVersion":{"description":"The version of this manifest format. Bulkhead refuses a manifest whose version it does not read.","const":1},"name":{"description":"The plugin's unique name: lowercase letters, digits and . _ - / @, starting with a letter, a digit or @ (an npm package name fits).","type":"string","pattern":"^[a-z0-9@][a-z0-9._\\-/@]*$"},"version":{"description":"The plugin's version, semver (major.minor.patch[-prerelease]). When two manifests in one search path have the same name, the higher version is used.","type":"string","minLength":1},"description":{"description":"One line saying what the plugin does.","type":"string"},"author":{"description":"Who wrote the plugin.","type":"string"},"package":{"description":"The npm spec or path the plugin was installed from, so it can be updated or reinstalled.","type":"string"},"category":{"description":"A group to list the plugin under.","type":"string","minLength":1,"default":"general"},"runtime":{"description":"Which worker runs the plugin: node (the default) or python.","enum":["node","python"],"default":"node"},"entry":{"description":"The plugin module. Node: the file whose default export is the definePlugin result. Python: a file, path/to/plugin.py[:Name], or an importable module, package.module[:Name]. Files are relative to the manifest's directory or absolute.","type":"string","minLength":1},"python":{"description":"runtime python: the interpreter to run the plugin with (its venv's bin/python), relative to the manifest's directory or absolute, or a command name looked up on PATH. Default: python3 from PATH.","type":"string","minLength":1},"env":{"description":"The plugin's environment directory (where its node_modules live), relative to the manifest's directory or absolute. The worker runs with it as its working directory. Default: the manifest's directory.","type":"string","minLength":1},"node":{"description":"The Node binary to run the plugin with (a pinned version), relative to the manifest's directory or absolute. Default: the host's own Node.","type":"string","minLength":1},"envVars":{"description":"Environment variables set for the plugin's worker, over what it inherits from the host.","type":"object","propertyNames":{"pattern":"^[A-Za-z_][A-Za-z0-9_]*$"},"additionalProperties":{"type":"string"}},"passEnv":{"description":"Host environment variables the worker inherits beyond Bulkhead's minimal set (PATH, HOME, locale, TZ, TMPDIR, Node/Python paths, CUDA_*, BULKHEAD_*): NAME, or PREFIX* for every name starting so. Everything else of the host's environment (its secrets) is not passed.","type":"array","items":{"type":"string","pattern":"^[A-Za-z_][A-Za-z0-9_]*\\*?$"}},"configSchema":{"description":"A JSON Schema of the plugin's config. Config updates are checked against it before anything changes.","type":"object"},"config":{"description":"Default config values, used under whatever config the user sets.","type":"object"},"resources":{"description":"What one running worker of the plugin needs; the manager reserves it before loading the plugin.","type":"object","additionalProperties":false,"properties":{"memoryMB":{"description":"RAM, in MiB. Also the worker's memory limit unless limits.memoryMB sets another (or null: none).","type":"number","minimum":0},"gpuMemoryMB":{"description":"GPU memory, in MiB.","type":"number","minimum":0},"gpus":{"description":"Whole GPUs.","type":"integer","minimum":0},"cpus":{"description":"CPU cores (fractions allowed).","type":"number","minimum":0}}},"capabilities":{"description":"What the plugin implements, declared ahead of loading it (the handshake reports the truth once it runs).","type":"object","additionalProperties":false,"properties":{"execute":{"description":"It answers execute (one result per call).","type":"boolean"},"stream":{"description":"It answers stream (many results per call).","type":"boolean"},"cancel":{"description":"It stops work when its call is cancelled.","type":"boolean"},"progress":{"description":"It reports progress.","type":"boolean"},"configure":{"description":"It takes config updates without a restart.","type":"boolean"},"binary":{"description":"Its worker carries binary values as raw attachments, not inside JSON.","type":"boolean"},"handoff":{"description":"Its worker hands very large binary values over by file (protocol 1.1).","type":"boolean"}}},"limits":{"description":"What the host enforces on each worker (resources is what the scheduler reserves; these are kept). See docs/reliability.md.","type":"object","additionalProperties":false,"properties":{"memoryMB":{"description":"The worker's memory limit, in MiB: a Node worker gets it as its heap cap (--max-old-space-size), and the worker and its children are limited to it by a memory cgroup of their own where the machine allows (cgroup v2, else v1), else its process group is killed when its RSS passes it; either way its calls fail with ERR_WORKER_OOM. Default: resources.memoryMB (a reservation is a limit too); null: no memory limit, resources.memoryMB stays a reservation only.","type":["number","null"],"minimum":1},"recycleAfterCalls":{"description":"Restart the worker, once idle, after this many calls (a plugin that leaks).","type":"integer","minimum":1},"recycleAfterGrowthMB":{"description":"Restart the worker, once idle, when its RSS has grown by more than this many MiB since it loaded.","type":"number","exclusiveMinimum":0},"recycleAfterGpuLeakMB":{"description":"Restart the worker, once idle after calls, when the GPU memory its process group holds (nvidia-smi, per process) has grown by more than this many MiB since it loaded: a GPU job whose memory did not come back.","type":"number","exclusiveMinimum":0}}},"permissions":{"description":"Node workers: run under Node's permission model, allowed only this (plus reading the plugin, its environment directory and the SDK). A seat belt against mistakes, not a sandbox: the network is not restricted (Node 24 has no network permission) and native addons are outside the model. Python workers ignore it.","type":"object","additionalProperties":false,"properties":{"fsRead":{"description":"Files or directories it may read, relative to the manifest's directory or absolute.","type":"array","items":{"type":"string","minLength":1}},"fsWrite":{"description":"Files or directories it may write (and read), relative to the manifest's directory or absolute.","type":"array","items":{"type":"string","minLength":1}},"childProcess":{"description":"It may start child processes. Default false.","type":"boolean"},"workerThreads":{"description":"It may start worker threads. Default false.","type":"boolean"},"addons":{"description":"It may load native addons (which the model cannot restrict). Default false.","type":"boolean"}}},"concurrency":{"description":"How many calls one worker of the plugin may run at once.","type":"integer","minimum":1,"default":1},"inputSchema":{"description":"A JSON Schema of execute's input, for callers and tools (the CLI, the HTTP API).","type":"object"}}};
const func0 = Object.prototype.hasOwnProperty;
const func1 = require("ajv/dist/runtime/ucs2length").default;
const pattern0 = new RegExp("^[a-z0-9@][a-z0-9._\\-/@]*$", "u");
const pattern1 = new RegExp("^[A-Za-z_][A-Za-z0-9_]*$", "u");
const pattern2 = new RegExp("^[A-Za-z_][A-Za-z0-9_]*\\*?$", "u");

function validate0(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
/*# sourceURL="urn:bulkhead:schema:plugin-manifest:1" */;
let vErrors = null;
let errors = 0;
const evaluated0 = validate0.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.category === undefined){
data.category = "general";
}
if(data.runtime === undefined){
data.runtime = "node";
}
if(data.concurrency === undefined){
data.concurrency = 1;
}
if(data.manifestVersion === undefined){
const err0 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "manifestVersion"},message:"must have required property '"+"manifestVersion"+"'",schema:schema0.required,parentSchema:schema0,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
if(data.name === undefined){
const err1 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "name"},message:"must have required property '"+"name"+"'",schema:schema0.required,parentSchema:schema0,data};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
if(data.version === undefined){
const err2 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "version"},message:"must have required property '"+"version"+"'",schema:schema0.required,parentSchema:schema0,data};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
if(data.entry === undefined){
const err3 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "entry"},message:"must have required property '"+"entry"+"'",schema:schema0.required,parentSchema:schema0,data};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
for(const key0 in data){
if(!(func0.call(schema0.properties, key0))){
const err4 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema0,data};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
if(data.$schema !== undefined){
let data0 = data.$schema;
if(typeof data0 !== "string"){
const err5 = {instancePath:instancePath+"/$schema",schemaPath:"#/properties/%24schema/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema0.properties.$schema.type,parentSchema:schema0.properties.$schema,data:data0};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
if(data.manifestVersion !== undefined){
let data1 = data.manifestVersion;
if(1 !== data1){
const err6 = {instancePath:instancePath+"/manifestVersion",schemaPath:"#/properties/manifestVersion/const",keyword:"const",params:{allowedValue: 1},message:"must be equal to constant",schema:1,parentSchema:schema0.properties.manifestVersion,data:data1};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
if(data.name !== undefined){
let data2 = data.name;
if(typeof data2 === "string"){
if(!pattern0.test(data2)){
const err7 = {instancePath:instancePath+"/name",schemaPath:"#/properties/name/pattern",keyword:"pattern",params:{pattern: "^[a-z0-9@][a-z0-9._\\-/@]*$"},message:"must match pattern \""+"^[a-z0-9@][a-z0-9._\\-/@]*$"+"\"",schema:"^[a-z0-9@][a-z0-9._\\-/@]*$",parentSchema:schema0.properties.name,data:data2};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
}
else {
const err8 = {instancePath:instancePath+"/name",schemaPath:"#/properties/name/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema0.properties.name.type,parentSchema:schema0.properties.name,data:data2};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
if(data.version !== undefined){
let data3 = data.version;
if(typeof data3 === "string"){
if(func1(data3) < 1){
const err9 = {instancePath:instancePath+"/version",schemaPath:"#/properties/version/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema0.properties.version,data:data3};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
else {
const err10 = {instancePath:instancePath+"/version",schemaPath:"#/properties/version/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema0.properties.version.type,parentSchema:schema0.properties.version,data:data3};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
if(data.description !== undefined){
let data4 = data.description;
if(typeof data4 !== "string"){
const err11 = {instancePath:instancePath+"/description",schemaPath:"#/properties/description/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema0.properties.description.type,parentSchema:schema0.properties.description,data:data4};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
if(data.author !== undefined){
let data5 = data.author;
if(typeof data5 !== "string"){
const err12 = {instancePath:instancePath+"/author",schemaPath:"#/properties/author/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema0.properties.author.type,parentSchema:schema0.properties.author,data:data5};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
}
if(data.package !== undefined){
let data6 = data.package;
if(typeof data6 !== "string"){
const err13 = {instancePath:instancePath+"/package",schemaPath:"#/properties/package/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema0.properties.package.type,parentSchema:schema0.properties.package,data:data6};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
}
let data7 = data.category;
if(typeof data7 === "string"){
if(func1(data7) < 1){
const err14 = {instancePath:instancePath+"/category",schemaPath:"#/properties/category/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema0.properties.category,data:data7};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
}
else {
const err15 = {instancePath:instancePath+"/category",schemaPath:"#/properties/category/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema0.properties.category.type,parentSchema:schema0.properties.category,data:data7};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
let data8 = data.runtime;
if(!((data8 === "node") || (data8 === "python"))){
const err16 = {instancePath:instancePath+"/runtime",schemaPath:"#/properties/runtime/enum",keyword:"enum",params:{allowedValues: schema0.properties.runtime.enum},message:"must be equal to one of the allowed values",schema:schema0.properties.runtime.enum,parentSchema:schema0.properties.runtime,data:data8};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
if(data.entry !== undefined){
let data9 = data.entry;
if(typeof data9 === "string"){
if(func1(data9) < 1){
const err17 = {instancePath:instancePath+"/entry",schemaPath:"#/properties/entry/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema0.properties.entry,data:data9};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
}
else {
const err18 = {instancePath:instancePath+"/entry",schemaPath:"#/properties/entry/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema0.properties.entry.type,parentSchema:schema0.properties.entry,data:data9};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
}
if(data.python !== undefined){
let data10 = data.python;
if(typeof data10 === "string"){
if(func1(data10) < 1){
const err19 = {instancePath:instancePath+"/python",schemaPath:"#/properties/python/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema0.properties.python,data:data10};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
}
else {
const err20 = {instancePath:instancePath+"/python",schemaPath:"#/properties/python/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema0.properties.python.type,parentSchema:schema0.properties.python,data:data10};
if(vErrors === null){
vErrors = [err20];
}
else {
vErrors.push(err20);
}
errors++;
}
}
if(data.env !== undefined){
let data11 = data.env;
if(typeof data11 === "string"){
if(func1(data11) < 1){
const err21 = {instancePath:instancePath+"/env",schemaPath:"#/properties/env/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema0.properties.env,data:data11};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
}
else {
const err22 = {instancePath:instancePath+"/env",schemaPath:"#/properties/env/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema0.properties.env.type,parentSchema:schema0.properties.env,data:data11};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
}
if(data.node !== undefined){
let data12 = data.node;
if(typeof data12 === "string"){
if(func1(data12) < 1){
const err23 = {instancePath:instancePath+"/node",schemaPath:"#/properties/node/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema0.properties.node,data:data12};
if(vErrors === null){
vErrors = [err23];
}
else {
vErrors.push(err23);
}
errors++;
}
}
else {
const err24 = {instancePath:instancePath+"/node",schemaPath:"#/properties/node/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema0.properties.node.type,parentSchema:schema0.properties.node,data:data12};
if(vErrors === null){
vErrors = [err24];
}
else {
vErrors.push(err24);
}
errors++;
}
}
if(data.envVars !== undefined){
let data13 = data.envVars;
if(data13 && typeof data13 == "object" && !Array.isArray(data13)){
for(const key1 in data13){
const _errs28 = errors;
if(typeof key1 === "string"){
if(!pattern1.test(key1)){
const err25 = {instancePath:instancePath+"/envVars",schemaPath:"#/properties/envVars/propertyNames/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z_][A-Za-z0-9_]*$"},message:"must match pattern \""+"^[A-Za-z_][A-Za-z0-9_]*$"+"\"",schema:"^[A-Za-z_][A-Za-z0-9_]*$",parentSchema:schema0.properties.envVars.propertyNames,data:key1,propertyName:key1};
if(vErrors === null){
vErrors = [err25];
}
else {
vErrors.push(err25);
}
errors++;
}
}
var valid1 = _errs28 === errors;
if(!valid1){
const err26 = {instancePath:instancePath+"/envVars",schemaPath:"#/properties/envVars/propertyNames",keyword:"propertyNames",params:{propertyName: key1},message:"property name must be valid",schema:schema0.properties.envVars.propertyNames,parentSchema:schema0.properties.envVars,data:data13};
if(vErrors === null){
vErrors = [err26];
}
else {
vErrors.push(err26);
}
errors++;
}
}
for(const key2 in data13){
let data14 = data13[key2];
if(typeof data14 !== "string"){
const err27 = {instancePath:instancePath+"/envVars/" + key2.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/properties/envVars/additionalProperties/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema0.properties.envVars.additionalProperties.type,parentSchema:schema0.properties.envVars.additionalProperties,data:data14};
if(vErrors === null){
vErrors = [err27];
}
else {
vErrors.push(err27);
}
errors++;
}
}
}
else {
const err28 = {instancePath:instancePath+"/envVars",schemaPath:"#/properties/envVars/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema0.properties.envVars.type,parentSchema:schema0.properties.envVars,data:data13};
if(vErrors === null){
vErrors = [err28];
}
else {
vErrors.push(err28);
}
errors++;
}
}
if(data.passEnv !== undefined){
let data15 = data.passEnv;
if(Array.isArray(data15)){
const len0 = data15.length;
for(let i0=0; i0<len0; i0++){
let data16 = data15[i0];
if(typeof data16 === "string"){
if(!pattern2.test(data16)){
const err29 = {instancePath:instancePath+"/passEnv/" + i0,schemaPath:"#/properties/passEnv/items/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z_][A-Za-z0-9_]*\\*?$"},message:"must match pattern \""+"^[A-Za-z_][A-Za-z0-9_]*\\*?$"+"\"",schema:"^[A-Za-z_][A-Za-z0-9_]*\\*?$",parentSchema:schema0.properties.passEnv.items,data:data16};
if(vErrors === null){
vErrors = [err29];
}
else {
vErrors.push(err29);
}
errors++;
}
}
else {
const err30 = {instancePath:instancePath+"/passEnv/" + i0,schemaPath:"#/properties/passEnv/items/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema0.properties.passEnv.items.type,parentSchema:schema0.properties.passEnv.items,data:data16};
if(vErrors === null){
vErrors = [err30];
}
else {
vErrors.push(err30);
}
errors++;
}
}
}
else {
const err31 = {instancePath:instancePath+"/passEnv",schemaPath:"#/properties/passEnv/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema0.properties.passEnv.type,parentSchema:schema0.properties.passEnv,data:data15};
if(vErrors === null){
vErrors = [err31];
}
else {
vErrors.push(err31);
}
errors++;
}
}
if(data.configSchema !== undefined){
let data17 = data.configSchema;
if(!(data17 && typeof data17 == "object" && !Array.isArray(data17))){
const err32 = {instancePath:instancePath+"/configSchema",schemaPath:"#/properties/configSchema/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema0.properties.configSchema.type,parentSchema:schema0.properties.configSchema,data:data17};
if(vErrors === null){
vErrors = [err32];
}
else {
vErrors.push(err32);
}
errors++;
}
}
if(data.config !== undefined){
let data18 = data.config;
if(!(data18 && typeof data18 == "object" && !Array.isArray(data18))){
const err33 = {instancePath:instancePath+"/config",schemaPath:"#/properties/config/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema0.properties.config.type,parentSchema:schema0.properties.config,data:data18};
if(vErrors === null){
vErrors = [err33];
}
else {
vErrors.push(err33);
}
errors++;
}
}
if(data.resources !== undefined){
let data19 = data.resources;
if(data19 && typeof data19 == "object" && !Array.isArray(data19)){
for(const key3 in data19){
if(!((((key3 === "memoryMB") || (key3 === "gpuMemoryMB")) || (key3 === "gpus")) || (key3 === "cpus"))){
const err34 = {instancePath:instancePath+"/resources",schemaPath:"#/properties/resources/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key3},message:"must NOT have additional properties",schema:false,parentSchema:schema0.properties.resources,data:data19};
if(vErrors === null){
vErrors = [err34];
}
else {
vErrors.push(err34);
}
errors++;
}
}
if(data19.memoryMB !== undefined){
let data20 = data19.memoryMB;
if((typeof data20 == "number") && (isFinite(data20))){
if(data20 < 0 || isNaN(data20)){
const err35 = {instancePath:instancePath+"/resources/memoryMB",schemaPath:"#/properties/resources/properties/memoryMB/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0",schema:0,parentSchema:schema0.properties.resources.properties.memoryMB,data:data20};
if(vErrors === null){
vErrors = [err35];
}
else {
vErrors.push(err35);
}
errors++;
}
}
else {
const err36 = {instancePath:instancePath+"/resources/memoryMB",schemaPath:"#/properties/resources/properties/memoryMB/type",keyword:"type",params:{type: "number"},message:"must be number",schema:schema0.properties.resources.properties.memoryMB.type,parentSchema:schema0.properties.resources.properties.memoryMB,data:data20};
if(vErrors === null){
vErrors = [err36];
}
else {
vErrors.push(err36);
}
errors++;
}
}
if(data19.gpuMemoryMB !== undefined){
let data21 = data19.gpuMemoryMB;
if((typeof data21 == "number") && (isFinite(data21))){
if(data21 < 0 || isNaN(data21)){
const err37 = {instancePath:instancePath+"/resources/gpuMemoryMB",schemaPath:"#/properties/resources/properties/gpuMemoryMB/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0",schema:0,parentSchema:schema0.properties.resources.properties.gpuMemoryMB,data:data21};
if(vErrors === null){
vErrors = [err37];
}
else {
vErrors.push(err37);
}
errors++;
}
}
else {
const err38 = {instancePath:instancePath+"/resources/gpuMemoryMB",schemaPath:"#/properties/resources/properties/gpuMemoryMB/type",keyword:"type",params:{type: "number"},message:"must be number",schema:schema0.properties.resources.properties.gpuMemoryMB.type,parentSchema:schema0.properties.resources.properties.gpuMemoryMB,data:data21};
if(vErrors === null){
vErrors = [err38];
}
else {
vErrors.push(err38);
}
errors++;
}
}
if(data19.gpus !== undefined){
let data22 = data19.gpus;
if(!(((typeof data22 == "number") && (!(data22 % 1) && !isNaN(data22))) && (isFinite(data22)))){
const err39 = {instancePath:instancePath+"/resources/gpus",schemaPath:"#/properties/resources/properties/gpus/type",keyword:"type",params:{type: "integer"},message:"must be integer",schema:schema0.properties.resources.properties.gpus.type,parentSchema:schema0.properties.resources.properties.gpus,data:data22};
if(vErrors === null){
vErrors = [err39];
}
else {
vErrors.push(err39);
}
errors++;
}
if((typeof data22 == "number") && (isFinite(data22))){
if(data22 < 0 || isNaN(data22)){
const err40 = {instancePath:instancePath+"/resources/gpus",schemaPath:"#/properties/resources/properties/gpus/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0",schema:0,parentSchema:schema0.properties.resources.properties.gpus,data:data22};
if(vErrors === null){
vErrors = [err40];
}
else {
vErrors.push(err40);
}
errors++;
}
}
}
if(data19.cpus !== undefined){
let data23 = data19.cpus;
if((typeof data23 == "number") && (isFinite(data23))){
if(data23 < 0 || isNaN(data23)){
const err41 = {instancePath:instancePath+"/resources/cpus",schemaPath:"#/properties/resources/properties/cpus/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0",schema:0,parentSchema:schema0.properties.resources.properties.cpus,data:data23};
if(vErrors === null){
vErrors = [err41];
}
else {
vErrors.push(err41);
}
errors++;
}
}
else {
const err42 = {instancePath:instancePath+"/resources/cpus",schemaPath:"#/properties/resources/properties/cpus/type",keyword:"type",params:{type: "number"},message:"must be number",schema:schema0.properties.resources.properties.cpus.type,parentSchema:schema0.properties.resources.properties.cpus,data:data23};
if(vErrors === null){
vErrors = [err42];
}
else {
vErrors.push(err42);
}
errors++;
}
}
}
else {
const err43 = {instancePath:instancePath+"/resources",schemaPath:"#/properties/resources/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema0.properties.resources.type,parentSchema:schema0.properties.resources,data:data19};
if(vErrors === null){
vErrors = [err43];
}
else {
vErrors.push(err43);
}
errors++;
}
}
if(data.capabilities !== undefined){
let data24 = data.capabilities;
if(data24 && typeof data24 == "object" && !Array.isArray(data24)){
for(const key4 in data24){
if(!(((((((key4 === "execute") || (key4 === "stream")) || (key4 === "cancel")) || (key4 === "progress")) || (key4 === "configure")) || (key4 === "binary")) || (key4 === "handoff"))){
const err44 = {instancePath:instancePath+"/capabilities",schemaPath:"#/properties/capabilities/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key4},message:"must NOT have additional properties",schema:false,parentSchema:schema0.properties.capabilities,data:data24};
if(vErrors === null){
vErrors = [err44];
}
else {
vErrors.push(err44);
}
errors++;
}
}
if(data24.execute !== undefined){
let data25 = data24.execute;
if(typeof data25 !== "boolean"){
const err45 = {instancePath:instancePath+"/capabilities/execute",schemaPath:"#/properties/capabilities/properties/execute/type",keyword:"type",params:{type: "boolean"},message:"must be boolean",schema:schema0.properties.capabilities.properties.execute.type,parentSchema:schema0.properties.capabilities.properties.execute,data:data25};
if(vErrors === null){
vErrors = [err45];
}
else {
vErrors.push(err45);
}
errors++;
}
}
if(data24.stream !== undefined){
let data26 = data24.stream;
if(typeof data26 !== "boolean"){
const err46 = {instancePath:instancePath+"/capabilities/stream",schemaPath:"#/properties/capabilities/properties/stream/type",keyword:"type",params:{type: "boolean"},message:"must be boolean",schema:schema0.properties.capabilities.properties.stream.type,parentSchema:schema0.properties.capabilities.properties.stream,data:data26};
if(vErrors === null){
vErrors = [err46];
}
else {
vErrors.push(err46);
}
errors++;
}
}
if(data24.cancel !== undefined){
let data27 = data24.cancel;
if(typeof data27 !== "boolean"){
const err47 = {instancePath:instancePath+"/capabilities/cancel",schemaPath:"#/properties/capabilities/properties/cancel/type",keyword:"type",params:{type: "boolean"},message:"must be boolean",schema:schema0.properties.capabilities.properties.cancel.type,parentSchema:schema0.properties.capabilities.properties.cancel,data:data27};
if(vErrors === null){
vErrors = [err47];
}
else {
vErrors.push(err47);
}
errors++;
}
}
if(data24.progress !== undefined){
let data28 = data24.progress;
if(typeof data28 !== "boolean"){
const err48 = {instancePath:instancePath+"/capabilities/progress",schemaPath:"#/properties/capabilities/properties/progress/type",keyword:"type",params:{type: "boolean"},message:"must be boolean",schema:schema0.properties.capabilities.properties.progress.type,parentSchema:schema0.properties.capabilities.properties.progress,data:data28};
if(vErrors === null){
vErrors = [err48];
}
else {
vErrors.push(err48);
}
errors++;
}
}
if(data24.configure !== undefined){
let data29 = data24.configure;
if(typeof data29 !== "boolean"){
const err49 = {instancePath:instancePath+"/capabilities/configure",schemaPath:"#/properties/capabilities/properties/configure/type",keyword:"type",params:{type: "boolean"},message:"must be boolean",schema:schema0.properties.capabilities.properties.configure.type,parentSchema:schema0.properties.capabilities.properties.configure,data:data29};
if(vErrors === null){
vErrors = [err49];
}
else {
vErrors.push(err49);
}
errors++;
}
}
if(data24.binary !== undefined){
let data30 = data24.binary;
if(typeof data30 !== "boolean"){
const err50 = {instancePath:instancePath+"/capabilities/binary",schemaPath:"#/properties/capabilities/properties/binary/type",keyword:"type",params:{type: "boolean"},message:"must be boolean",schema:schema0.properties.capabilities.properties.binary.type,parentSchema:schema0.properties.capabilities.properties.binary,data:data30};
if(vErrors === null){
vErrors = [err50];
}
else {
vErrors.push(err50);
}
errors++;
}
}
if(data24.handoff !== undefined){
let data31 = data24.handoff;
if(typeof data31 !== "boolean"){
const err51 = {instancePath:instancePath+"/capabilities/handoff",schemaPath:"#/properties/capabilities/properties/handoff/type",keyword:"type",params:{type: "boolean"},message:"must be boolean",schema:schema0.properties.capabilities.properties.handoff.type,parentSchema:schema0.properties.capabilities.properties.handoff,data:data31};
if(vErrors === null){
vErrors = [err51];
}
else {
vErrors.push(err51);
}
errors++;
}
}
}
else {
const err52 = {instancePath:instancePath+"/capabilities",schemaPath:"#/properties/capabilities/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema0.properties.capabilities.type,parentSchema:schema0.properties.capabilities,data:data24};
if(vErrors === null){
vErrors = [err52];
}
else {
vErrors.push(err52);
}
errors++;
}
}
if(data.limits !== undefined){
let data32 = data.limits;
if(data32 && typeof data32 == "object" && !Array.isArray(data32)){
for(const key5 in data32){
if(!((((key5 === "memoryMB") || (key5 === "recycleAfterCalls")) || (key5 === "recycleAfterGrowthMB")) || (key5 === "recycleAfterGpuLeakMB"))){
const err53 = {instancePath:instancePath+"/limits",schemaPath:"#/properties/limits/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key5},message:"must NOT have additional properties",schema:false,parentSchema:schema0.properties.limits,data:data32};
if(vErrors === null){
vErrors = [err53];
}
else {
vErrors.push(err53);
}
errors++;
}
}
if(data32.memoryMB !== undefined){
let data33 = data32.memoryMB;
if((!((typeof data33 == "number") && (isFinite(data33)))) && (data33 !== null)){
const err54 = {instancePath:instancePath+"/limits/memoryMB",schemaPath:"#/properties/limits/properties/memoryMB/type",keyword:"type",params:{type: schema0.properties.limits.properties.memoryMB.type},message:"must be number,null",schema:schema0.properties.limits.properties.memoryMB.type,parentSchema:schema0.properties.limits.properties.memoryMB,data:data33};
if(vErrors === null){
vErrors = [err54];
}
else {
vErrors.push(err54);
}
errors++;
}
if((typeof data33 == "number") && (isFinite(data33))){
if(data33 < 1 || isNaN(data33)){
const err55 = {instancePath:instancePath+"/limits/memoryMB",schemaPath:"#/properties/limits/properties/memoryMB/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1",schema:1,parentSchema:schema0.properties.limits.properties.memoryMB,data:data33};
if(vErrors === null){
vErrors = [err55];
}
else {
vErrors.push(err55);
}
errors++;
}
}
}
if(data32.recycleAfterCalls !== undefined){
let data34 = data32.recycleAfterCalls;
if(!(((typeof data34 == "number") && (!(data34 % 1) && !isNaN(data34))) && (isFinite(data34)))){
const err56 = {instancePath:instancePath+"/limits/recycleAfterCalls",schemaPath:"#/properties/limits/properties/recycleAfterCalls/type",keyword:"type",params:{type: "integer"},message:"must be integer",schema:schema0.properties.limits.properties.recycleAfterCalls.type,parentSchema:schema0.properties.limits.properties.recycleAfterCalls,data:data34};
if(vErrors === null){
vErrors = [err56];
}
else {
vErrors.push(err56);
}
errors++;
}
if((typeof data34 == "number") && (isFinite(data34))){
if(data34 < 1 || isNaN(data34)){
const err57 = {instancePath:instancePath+"/limits/recycleAfterCalls",schemaPath:"#/properties/limits/properties/recycleAfterCalls/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1",schema:1,parentSchema:schema0.properties.limits.properties.recycleAfterCalls,data:data34};
if(vErrors === null){
vErrors = [err57];
}
else {
vErrors.push(err57);
}
errors++;
}
}
}
if(data32.recycleAfterGrowthMB !== undefined){
let data35 = data32.recycleAfterGrowthMB;
if((typeof data35 == "number") && (isFinite(data35))){
if(data35 <= 0 || isNaN(data35)){
const err58 = {instancePath:instancePath+"/limits/recycleAfterGrowthMB",schemaPath:"#/properties/limits/properties/recycleAfterGrowthMB/exclusiveMinimum",keyword:"exclusiveMinimum",params:{comparison: ">", limit: 0},message:"must be > 0",schema:0,parentSchema:schema0.properties.limits.properties.recycleAfterGrowthMB,data:data35};
if(vErrors === null){
vErrors = [err58];
}
else {
vErrors.push(err58);
}
errors++;
}
}
else {
const err59 = {instancePath:instancePath+"/limits/recycleAfterGrowthMB",schemaPath:"#/properties/limits/properties/recycleAfterGrowthMB/type",keyword:"type",params:{type: "number"},message:"must be number",schema:schema0.properties.limits.properties.recycleAfterGrowthMB.type,parentSchema:schema0.properties.limits.properties.recycleAfterGrowthMB,data:data35};
if(vErrors === null){
vErrors = [err59];
}
else {
vErrors.push(err59);
}
errors++;
}
}
if(data32.recycleAfterGpuLeakMB !== undefined){
let data36 = data32.recycleAfterGpuLeakMB;
if((typeof data36 == "number") && (isFinite(data36))){
if(data36 <= 0 || isNaN(data36)){
const err60 = {instancePath:instancePath+"/limits/recycleAfterGpuLeakMB",schemaPath:"#/properties/limits/properties/recycleAfterGpuLeakMB/exclusiveMinimum",keyword:"exclusiveMinimum",params:{comparison: ">", limit: 0},message:"must be > 0",schema:0,parentSchema:schema0.properties.limits.properties.recycleAfterGpuLeakMB,data:data36};
if(vErrors === null){
vErrors = [err60];
}
else {
vErrors.push(err60);
}
errors++;
}
}
else {
const err61 = {instancePath:instancePath+"/limits/recycleAfterGpuLeakMB",schemaPath:"#/properties/limits/properties/recycleAfterGpuLeakMB/type",keyword:"type",params:{type: "number"},message:"must be number",schema:schema0.properties.limits.properties.recycleAfterGpuLeakMB.type,parentSchema:schema0.properties.limits.properties.recycleAfterGpuLeakMB,data:data36};
if(vErrors === null){
vErrors = [err61];
}
else {
vErrors.push(err61);
}
errors++;
}
}
}
else {
const err62 = {instancePath:instancePath+"/limits",schemaPath:"#/properties/limits/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema0.properties.limits.type,parentSchema:schema0.properties.limits,data:data32};
if(vErrors === null){
vErrors = [err62];
}
else {
vErrors.push(err62);
}
errors++;
}
}
if(data.permissions !== undefined){
let data37 = data.permissions;
if(data37 && typeof data37 == "object" && !Array.isArray(data37)){
for(const key6 in data37){
if(!(((((key6 === "fsRead") || (key6 === "fsWrite")) || (key6 === "childProcess")) || (key6 === "workerThreads")) || (key6 === "addons"))){
const err63 = {instancePath:instancePath+"/permissions",schemaPath:"#/properties/permissions/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key6},message:"must NOT have additional properties",schema:false,parentSchema:schema0.properties.permissions,data:data37};
if(vErrors === null){
vErrors = [err63];
}
else {
vErrors.push(err63);
}
errors++;
}
}
if(data37.fsRead !== undefined){
let data38 = data37.fsRead;
if(Array.isArray(data38)){
const len1 = data38.length;
for(let i1=0; i1<len1; i1++){
let data39 = data38[i1];
if(typeof data39 === "string"){
if(func1(data39) < 1){
const err64 = {instancePath:instancePath+"/permissions/fsRead/" + i1,schemaPath:"#/properties/permissions/properties/fsRead/items/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema0.properties.permissions.properties.fsRead.items,data:data39};
if(vErrors === null){
vErrors = [err64];
}
else {
vErrors.push(err64);
}
errors++;
}
}
else {
const err65 = {instancePath:instancePath+"/permissions/fsRead/" + i1,schemaPath:"#/properties/permissions/properties/fsRead/items/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema0.properties.permissions.properties.fsRead.items.type,parentSchema:schema0.properties.permissions.properties.fsRead.items,data:data39};
if(vErrors === null){
vErrors = [err65];
}
else {
vErrors.push(err65);
}
errors++;
}
}
}
else {
const err66 = {instancePath:instancePath+"/permissions/fsRead",schemaPath:"#/properties/permissions/properties/fsRead/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema0.properties.permissions.properties.fsRead.type,parentSchema:schema0.properties.permissions.properties.fsRead,data:data38};
if(vErrors === null){
vErrors = [err66];
}
else {
vErrors.push(err66);
}
errors++;
}
}
if(data37.fsWrite !== undefined){
let data40 = data37.fsWrite;
if(Array.isArray(data40)){
const len2 = data40.length;
for(let i2=0; i2<len2; i2++){
let data41 = data40[i2];
if(typeof data41 === "string"){
if(func1(data41) < 1){
const err67 = {instancePath:instancePath+"/permissions/fsWrite/" + i2,schemaPath:"#/properties/permissions/properties/fsWrite/items/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",schema:1,parentSchema:schema0.properties.permissions.properties.fsWrite.items,data:data41};
if(vErrors === null){
vErrors = [err67];
}
else {
vErrors.push(err67);
}
errors++;
}
}
else {
const err68 = {instancePath:instancePath+"/permissions/fsWrite/" + i2,schemaPath:"#/properties/permissions/properties/fsWrite/items/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema0.properties.permissions.properties.fsWrite.items.type,parentSchema:schema0.properties.permissions.properties.fsWrite.items,data:data41};
if(vErrors === null){
vErrors = [err68];
}
else {
vErrors.push(err68);
}
errors++;
}
}
}
else {
const err69 = {instancePath:instancePath+"/permissions/fsWrite",schemaPath:"#/properties/permissions/properties/fsWrite/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema0.properties.permissions.properties.fsWrite.type,parentSchema:schema0.properties.permissions.properties.fsWrite,data:data40};
if(vErrors === null){
vErrors = [err69];
}
else {
vErrors.push(err69);
}
errors++;
}
}
if(data37.childProcess !== undefined){
let data42 = data37.childProcess;
if(typeof data42 !== "boolean"){
const err70 = {instancePath:instancePath+"/permissions/childProcess",schemaPath:"#/properties/permissions/properties/childProcess/type",keyword:"type",params:{type: "boolean"},message:"must be boolean",schema:schema0.properties.permissions.properties.childProcess.type,parentSchema:schema0.properties.permissions.properties.childProcess,data:data42};
if(vErrors === null){
vErrors = [err70];
}
else {
vErrors.push(err70);
}
errors++;
}
}
if(data37.workerThreads !== undefined){
let data43 = data37.workerThreads;
if(typeof data43 !== "boolean"){
const err71 = {instancePath:instancePath+"/permissions/workerThreads",schemaPath:"#/properties/permissions/properties/workerThreads/type",keyword:"type",params:{type: "boolean"},message:"must be boolean",schema:schema0.properties.permissions.properties.workerThreads.type,parentSchema:schema0.properties.permissions.properties.workerThreads,data:data43};
if(vErrors === null){
vErrors = [err71];
}
else {
vErrors.push(err71);
}
errors++;
}
}
if(data37.addons !== undefined){
let data44 = data37.addons;
if(typeof data44 !== "boolean"){
const err72 = {instancePath:instancePath+"/permissions/addons",schemaPath:"#/properties/permissions/properties/addons/type",keyword:"type",params:{type: "boolean"},message:"must be boolean",schema:schema0.properties.permissions.properties.addons.type,parentSchema:schema0.properties.permissions.properties.addons,data:data44};
if(vErrors === null){
vErrors = [err72];
}
else {
vErrors.push(err72);
}
errors++;
}
}
}
else {
const err73 = {instancePath:instancePath+"/permissions",schemaPath:"#/properties/permissions/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema0.properties.permissions.type,parentSchema:schema0.properties.permissions,data:data37};
if(vErrors === null){
vErrors = [err73];
}
else {
vErrors.push(err73);
}
errors++;
}
}
let data45 = data.concurrency;
if(!(((typeof data45 == "number") && (!(data45 % 1) && !isNaN(data45))) && (isFinite(data45)))){
const err74 = {instancePath:instancePath+"/concurrency",schemaPath:"#/properties/concurrency/type",keyword:"type",params:{type: "integer"},message:"must be integer",schema:schema0.properties.concurrency.type,parentSchema:schema0.properties.concurrency,data:data45};
if(vErrors === null){
vErrors = [err74];
}
else {
vErrors.push(err74);
}
errors++;
}
if((typeof data45 == "number") && (isFinite(data45))){
if(data45 < 1 || isNaN(data45)){
const err75 = {instancePath:instancePath+"/concurrency",schemaPath:"#/properties/concurrency/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1",schema:1,parentSchema:schema0.properties.concurrency,data:data45};
if(vErrors === null){
vErrors = [err75];
}
else {
vErrors.push(err75);
}
errors++;
}
}
if(data.inputSchema !== undefined){
let data46 = data.inputSchema;
if(!(data46 && typeof data46 == "object" && !Array.isArray(data46))){
const err76 = {instancePath:instancePath+"/inputSchema",schemaPath:"#/properties/inputSchema/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema0.properties.inputSchema.type,parentSchema:schema0.properties.inputSchema,data:data46};
if(vErrors === null){
vErrors = [err76];
}
else {
vErrors.push(err76);
}
errors++;
}
}
}
else {
const err77 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema0.type,parentSchema:schema0,data};
if(vErrors === null){
vErrors = [err77];
}
else {
vErrors.push(err77);
}
errors++;
}
validate0.errors = vErrors;
return errors === 0;
}
validate0.evaluated = {"props":true,"dynamicProps":false,"dynamicItems":false};
