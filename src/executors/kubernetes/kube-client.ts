// The executor's connection to the API server, through @kubernetes/client-node: typed calls
// for Jobs and Pods, its Watch for change streams, and a plain streaming GET for what the
// client has no streaming call for (pod logs with `stream` and `sinceTime`), built with
// the client's own credentials (KubeConfig.applyToHTTPSOptions: token, client certificate,
// CA, proxy).
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import {
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  Watch,
} from "@kubernetes/client-node";
import type { ClusterAccess } from "./options.ts";

export interface KubeClient {
  readonly config: KubeConfig;
  readonly batch: BatchV1Api;
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;
  readonly watch: Watch;
  /** GET `path` and hand back the response as it streams; rejects on transport errors. */
  stream(
    path: string,
    query: Record<string, string>,
    signal: AbortSignal,
  ): Promise<IncomingMessage>;
}

export function loadKubeConfig(access: ClusterAccess): KubeConfig {
  if ("kubeConfig" in access) return access.kubeConfig;
  const config = new KubeConfig();
  if ("inCluster" in access) config.loadFromCluster();
  else {
    config.loadFromFile(access.kubeconfigPath);
    if (access.context) config.setCurrentContext(access.context);
  }
  return config;
}

export function createKubeClient(config: KubeConfig): KubeClient {
  return {
    config,
    batch: config.makeApiClient(BatchV1Api),
    core: config.makeApiClient(CoreV1Api),
    custom: config.makeApiClient(CustomObjectsApi),
    watch: new Watch(config),
    async stream(path, query, signal) {
      const cluster = config.getCurrentCluster();
      if (!cluster) throw new Error("the kubeconfig has no current cluster");
      const url = new URL(cluster.server.replace(/\/$/, "") + path);
      for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
      const options: https.RequestOptions = { method: "GET", headers: { Accept: "*/*" }, signal };
      await config.applyToHTTPSOptions(options);
      const client = url.protocol === "https:" ? https : http;
      return new Promise<IncomingMessage>((resolve, reject) => {
        const request = client.request(url, options, resolve);
        request.once("error", reject);
        request.end();
      });
    },
  };
}
