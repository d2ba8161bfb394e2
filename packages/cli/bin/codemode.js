#!/usr/bin/env node
// The installed command: loads the build (a bin must exist before any build, or installs warn).
import "../dist/bin.js";
