export * from "./content.js";
export * from "./errors.js";
export * from "./json.js";
export * from "./limits.js";
export * from "./messages.js";
export * from "./methods.js";
export * from "./version.js";
export * from "./tool-names.js";
