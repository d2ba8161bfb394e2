// The workspace as its checks see it: the root, its pnpm, its publishable packages, and commands run there.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));

export interface Manifest {
  name: string;
  version: string;
  license?: string;
  repository?: { type: string; url: string; directory?: string };
  engines?: Record<string, string>;
  packageManager?: string;
  bin?: Record<string, string>;
  exports?: Record<string, string | Record<string, string>>;
  dependencies?: Record<string, string>;
}

export const readManifest = (dir: string): Manifest =>
  JSON.parse(readFileSync(`${dir}/package.json`, "utf8")) as Manifest;

export const ROOT_MANIFEST = readManifest(ROOT);

/** The pnpm this workspace pins, run as its README runs it (no global pnpm needed). */
export const PNPM = ["npx", "--yes", ROOT_MANIFEST.packageManager ?? "pnpm"];

export interface Output {
  stdout: string;
  stderr: string;
}

/** This process's environment less what a package manager running the tests set for its own scripts. */
const ENV = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));

/** Runs a command; rejects with its output when it fails. */
export function run(command: string[], options: { cwd: string; timeoutMs?: number }): Promise<Output> {
  const [file = "", ...args] = command;
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { cwd: options.cwd, env: ENV, timeout: options.timeoutMs ?? 300_000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${command.join(" ")} failed: ${error.message}\n${stdout}\n${stderr}`));
        else resolve({ stdout, stderr });
      },
    );
  });
}

/** Every package of the workspace that is published (not private), with its directory. */
export async function publishablePackages(): Promise<{ name: string; dir: string }[]> {
  const { stdout } = await run([...PNPM, "ls", "--recursive", "--depth", "-1", "--json"], { cwd: ROOT });
  const projects = JSON.parse(stdout) as { name: string; path: string; private: boolean }[];
  return projects.filter((project) => !project.private).map((project) => ({ name: project.name, dir: project.path }));
}
