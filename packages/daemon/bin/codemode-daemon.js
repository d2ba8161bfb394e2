#!/usr/bin/env node
// The installed command: loads the bundled daemon (a bin must exist before any build, or installs warn).
import "../dist/codemode-daemon.js";
