// The shipped deployment files agree with each other and with the daemon: the Kubernetes
// manifests parse, the daemon's container runs as the Dockerfile says, the balancer hashes
// on the header the client sends.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { ROOT } from "./workspace.js";

const DEPLOY = join(ROOT, "deploy");
const read = (path: string) => readFileSync(join(DEPLOY, path), "utf8");

interface Manifest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: Record<string, unknown>;
}

const manifests: Manifest[] = readdirSync(join(DEPLOY, "k8s"))
  .filter((name) => name.endsWith(".yaml"))
  .flatMap((name) =>
    parseAllDocuments(read(`k8s/${name}`)).map((document) => {
      expect(document.errors, name).toEqual([]);
      return document.toJS() as Manifest;
    }),
  );

const find = (kind: string, name: string) => {
  const found = manifests.find((manifest) => manifest.kind === kind && manifest.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in deploy/k8s`);
  return found;
};

/** The JSON array of a Dockerfile instruction (`CMD ["a", "b"]`). */
const instruction = (name: string): string[] => {
  const line = read("Dockerfile")
    .split("\n")
    .find((text) => text.startsWith(`${name} `));
  return JSON.parse(line?.slice(name.length + 1) ?? "null") as string[];
};

describe("the deployment files", () => {
  it("are Kubernetes objects with a kind, a name and the codemode namespace", () => {
    expect(manifests.length).toBeGreaterThanOrEqual(7);
    for (const manifest of manifests) {
      expect(manifest.apiVersion).toBeTruthy();
      expect(manifest.kind).toBeTruthy();
      expect(manifest.metadata?.name).toBeTruthy();
      if (manifest.kind !== "Namespace") expect(manifest.metadata?.namespace).toBe("codemode");
    }
  });

  it("run the daemon as the image does, with the token from the mounted secret", () => {
    const pod = (find("Deployment", "codemode-daemon").spec as { template: { spec: PodSpec } }).template.spec;
    const [container] = pod.containers;
    expect(container?.args).toEqual(instruction("CMD"));
    const tokenFile = instruction("CMD").at(-1);
    const mount = container?.volumeMounts.find((volume) => volume.mountPath === tokenFile);
    expect(pod.volumes.find((volume) => volume.name === mount?.name)?.secret?.secretName).toBe("codemode-token");
    expect(instruction("ENTRYPOINT")).toEqual(["node", "/app/node_modules/@codemode/daemon/bin/codemode-daemon.js"]);
  });

  it("put HAProxy in front, hashing on the session header over the daemons' headless Service", () => {
    const config = read("haproxy/haproxy.cfg");
    expect(config).toMatch(/^ {2}balance hdr\(X-Codemode-Session\)$/m);
    expect(config).toMatch(/^ {2}hash-type consistent$/m);
    const service = find("Service", "codemode-daemon-pods");
    expect((service.spec as { clusterIP?: string }).clusterIP).toBe("None");
    expect(config).toContain(`${service.metadata?.name}.codemode.svc.cluster.local:8080`);
    find("Service", "codemode");
    find("StatefulSet", "codemode-redis");
  });
});

interface PodSpec {
  containers: { args?: string[]; volumeMounts: { name: string; mountPath: string }[] }[];
  volumes: { name: string; secret?: { secretName: string } }[];
}
