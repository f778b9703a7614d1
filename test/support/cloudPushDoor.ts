import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { functionUrl, pushEndpointUrl } from '../../infra/deploy/functionSteps.ts';
import { serviceAccountEmail } from '../../infra/deploy/principals.ts';
import { subscriptions, type FunctionName, type SubscriptionSpec } from '../../infra/spec.ts';

/** The body Pub/Sub posts to a push endpoint in the cloud. */
export type CloudPushBody = {
  message: {
    data?: string;
    attributes?: Record<string, string>;
    messageId: string;
    message_id: string;
    publishTime: string;
    publish_time: string;
  };
  subscription: string;
  deliveryAttempt?: number;
};

export type CloudPush = {
  subscription: string;
  topic: string;
  fn: FunctionName;
  path: string;
  headers: Record<string, string>;
  body: CloudPushBody;
  /** The function's answer; unset while the push is in flight. */
  status?: number;
};

type EmulatorPush = {
  subscription: string;
  message: {
    data?: string;
    attributes?: Record<string, string>;
    messageId: string;
    publishTime: string;
  };
};

/**
 * Stands between the Pub/Sub emulator and the functions, and delivers each push as
 * Pub/Sub does in the cloud: to the path under the function's URL that the deploy gives
 * the subscription, with the OIDC bearer token of the push identity, the body in the cloud's
 * shape and `deliveryAttempt` on subscriptions that dead-letter. The emulator keeps its
 * retries and dead-lettering: each function's answer goes back to it unchanged.
 */
export class CloudPushDoor {
  readonly pushes: CloudPush[] = [];
  readonly #server: Server;
  readonly #attempts = new Map<string, number>();
  readonly #subscriptions = new Map(
    subscriptions('test').flatMap((s) => (s.pushTo ? [[s.name, s] as const] : [])),
  );

  readonly #target: { project: string; region: string };
  readonly #functionUrls: Record<FunctionName, string>;

  private constructor(
    target: { project: string; region: string },
    functionUrls: Record<FunctionName, string>,
  ) {
    this.#target = target;
    this.#functionUrls = functionUrls;
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        void this.#deliver((req.url ?? '/').slice(1), Buffer.concat(chunks))
          // A push the door cannot read is answered as a failure, so the emulator retries it.
          .catch(() => 500)
          .then((status) => res.writeHead(status).end());
      });
    });
  }

  static async start(options: {
    projectId: string;
    functionUrls: Record<FunctionName, string>;
    region?: string;
  }): Promise<CloudPushDoor> {
    const door = new CloudPushDoor(
      { project: options.projectId, region: options.region ?? 'us-central1' },
      options.functionUrls,
    );
    await new Promise<void>((resolve) => door.#server.listen(0, '127.0.0.1', resolve));
    return door;
  }

  /** The push endpoint to give a subscription so that its pushes come through the door. */
  endpoint(subscription: SubscriptionSpec): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/${subscription.name}`;
  }

  async #deliver(subscriptionName: string, raw: Buffer): Promise<number> {
    const spec = this.#subscriptions.get(subscriptionName);
    if (!spec?.pushTo) return 404;
    const fn = spec.pushTo;
    const body = this.#cloudBody(spec, JSON.parse(raw.toString('utf8')) as EmulatorPush);
    const headers = {
      'content-type': 'application/json',
      authorization: `Bearer ${this.#oidcToken(fn)}`,
      'user-agent': 'APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)',
    };
    // Kept before it is sent, so that whatever a handler receives is already here.
    const path = new URL(
      pushEndpointUrl({ pushTo: fn, topic: spec.topic }, this.#target),
    ).pathname.slice(`/${fn}`.length);
    const push: CloudPush = {
      subscription: spec.name,
      topic: spec.topic,
      fn,
      path,
      headers,
      body,
    };
    this.pushes.push(push);
    try {
      const response = await fetch(`${this.#functionUrls[fn]}${push.path}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
      });
      await response.arrayBuffer();
      push.status = response.status;
    } catch {
      push.status = 503;
    }
    return push.status;
  }

  /** The emulator's push as Pub/Sub sends it in the cloud, counting this message's attempts. */
  #cloudBody(spec: SubscriptionSpec, push: EmulatorPush): CloudPushBody {
    const { data, attributes, messageId, publishTime } = push.message;
    const key = `${spec.name}/${messageId}`;
    const attempt = (this.#attempts.get(key) ?? 0) + 1;
    this.#attempts.set(key, attempt);
    return {
      message: {
        // Empty fields are left out of the JSON, as the cloud's encoding does.
        ...(data ? { data } : {}),
        ...(attributes && Object.keys(attributes).length > 0 ? { attributes } : {}),
        messageId,
        message_id: messageId,
        publishTime,
        publish_time: publishTime,
      },
      subscription: `projects/${this.#target.project}/subscriptions/${spec.name}`,
      // Pub/Sub counts attempts only on subscriptions with a dead-letter policy.
      ...(spec.deadLetter ? { deliveryAttempt: attempt } : {}),
    };
  }

  /** A token shaped like Pub/Sub's (the platform checks it, never the function): unsigned here. */
  #oidcToken(fn: FunctionName): string {
    const now = Math.floor(Date.now() / 1000);
    return [
      jwtPart({ alg: 'RS256', typ: 'JWT' }),
      jwtPart({
        aud: functionUrl(fn, this.#target),
        email: serviceAccountEmail('pushInvoker', this.#target.project),
        email_verified: true,
        iss: 'https://accounts.google.com',
        iat: now,
        exp: now + 3600,
      }),
      Buffer.from('unsigned').toString('base64url'),
    ].join('.');
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

function jwtPart(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
