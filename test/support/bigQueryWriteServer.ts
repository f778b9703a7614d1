import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';

/**
 * A local BigQuery Storage Write API endpoint, built from the protos that ship with
 * the client package. It decodes each AppendRows request exactly as BigQuery would:
 * the writer schema (a protobuf descriptor) and every serialized row against it.
 */

export type DecodedField = { name: string; number: number; label: string; type: string };

export type DecodedAppend = {
  writeStream: string;
  schema: { name: string; fields: DecodedField[] };
  rows: Record<string, unknown>[];
};

type AppendRowsRequest = {
  writeStream?: string;
  protoRows?: {
    writerSchema?: { protoDescriptor?: Record<string, unknown> };
    rows?: { serializedRows?: Buffer[] };
  };
};

type Call = grpc.ServerDuplexStream<AppendRowsRequest, Record<string, unknown>>;

export class BigQueryWriteServer {
  readonly appends: DecodedAppend[] = [];
  /** Rows refused with a row error: event id → message. */
  readonly refuse = new Map<string, string>();
  /** Answer the next N requests with this status instead of writing. */
  failNext: { count: number; code: number; message: string } = { count: 0, code: 0, message: '' };
  readonly #server: grpc.Server;
  readonly port: number;

  private constructor(server: grpc.Server, port: number) {
    this.#server = server;
    this.port = port;
  }

  static async start(): Promise<BigQueryWriteServer> {
    const require = createRequire(import.meta.url);
    const protos =
      require('@google-cloud/bigquery-storage/build/protos/protos.json') as protobuf.INamespace;
    const definition = protoLoader.fromJSON(protos, {
      keepCase: false,
      longs: String,
      enums: String,
      bytes: Buffer,
      defaults: false,
      oneofs: true,
    });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      google: {
        cloud: {
          bigquery: { storage: { v1: { BigQueryWrite: { service: grpc.ServiceDefinition } } } };
        };
      };
    };
    const server = new grpc.Server();
    let instance: BigQueryWriteServer | undefined;
    server.addService(loaded.google.cloud.bigquery.storage.v1.BigQueryWrite.service, {
      appendRows: (call: Call) => instance!.#appendRows(call),
      createWriteStream: unimplemented,
      getWriteStream: unimplemented,
      finalizeWriteStream: unimplemented,
      batchCommitWriteStreams: unimplemented,
      flushRows: unimplemented,
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    instance = new BigQueryWriteServer(server, port);
    return instance;
  }

  /** Client options that point the Storage Write API client here. */
  writerOptions(): {
    apiEndpoint: string;
    port: number;
    sslCreds: grpc.ChannelCredentials;
    projectId: string;
  } {
    return {
      apiEndpoint: '127.0.0.1',
      port: this.port,
      sslCreds: grpc.credentials.createInsecure(),
      projectId: 'test-project',
    };
  }

  /** Every row received, in order (a resent request appears again). */
  rows(): Record<string, unknown>[] {
    return this.appends.flatMap((append) => append.rows);
  }

  close(): void {
    this.#server.forceShutdown();
  }

  #appendRows(call: Call): void {
    // The writer schema may be sent only with a connection's first request.
    let type: protobuf.Type | undefined;
    let schema: DecodedAppend['schema'] | undefined;
    call.on('data', (request: AppendRowsRequest) => {
      const writeStream = request.writeStream ?? '';
      const sentDescriptor = request.protoRows?.writerSchema?.protoDescriptor;
      if (sentDescriptor) {
        const message = descriptor.DescriptorProto.fromObject(sentDescriptor);
        type = (
          protobuf.Type as unknown as { fromDescriptor(d: unknown): protobuf.Type }
        ).fromDescriptor(message);
        new protobuf.Root().add(type);
        schema = decodeSchema(message as unknown as Record<string, unknown>);
      }
      if (this.failNext.count > 0) {
        this.failNext.count -= 1;
        call.write({
          error: { code: this.failNext.code, message: this.failNext.message },
          writeStream,
        });
        return;
      }
      if (!type || !schema) {
        call.write({
          error: { code: grpc.status.INVALID_ARGUMENT, message: 'no writer schema' },
          writeStream,
        });
        return;
      }
      const rowType = type;
      const rows = (request.protoRows?.rows?.serializedRows ?? []).map((bytes) =>
        rowType.toObject(rowType.decode(bytes), { longs: String }),
      );
      this.appends.push({ writeStream, schema, rows });
      const rowErrors = rows.flatMap((row, index) => {
        const reason = this.refuse.get(String(row.event_id));
        return reason ? [{ index: String(index), code: 'FIELDS_ERROR', message: reason }] : [];
      });
      if (rowErrors.length > 0) {
        // As BigQuery does: a request with bad rows writes none of its rows.
        this.appends.pop();
        call.write({
          error: { code: grpc.status.INVALID_ARGUMENT, message: 'Errors found in rows' },
          rowErrors,
          writeStream,
        });
        return;
      }
      call.write({ appendResult: { offset: null }, writeStream });
    });
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  }
}

function unimplemented(_call: unknown, callback: grpc.sendUnaryData<unknown>): void {
  callback({ code: grpc.status.UNIMPLEMENTED, details: 'not served by the test endpoint' });
}

function decodeSchema(message: Record<string, unknown>): DecodedAppend['schema'] {
  const object = descriptor.DescriptorProto.toObject(message as unknown as protobuf.Message, {
    enums: String,
  }) as { name: string; field: DecodedField[] };
  return {
    name: object.name,
    fields: object.field.map(({ name, number, label, type }) => ({ name, number, label, type })),
  };
}
