import cassandra from 'cassandra-driver';

/** A raw cassandra-driver client on the test cluster (SWITCHBOARD_TEST_SCYLLA_*). */
export function rawCqlClient(): cassandra.Client {
  const env = process.env;
  return new cassandra.Client({
    contactPoints: (env.SWITCHBOARD_TEST_SCYLLA_CONTACT_POINTS ?? '127.0.0.1').split(','),
    protocolOptions: { port: Number(env.SWITCHBOARD_TEST_SCYLLA_PORT ?? 9042) },
    localDataCenter: env.SWITCHBOARD_TEST_SCYLLA_LOCAL_DATA_CENTER ?? 'datacenter1',
    encoding: { useBigIntAsLong: true },
    ...(env.SWITCHBOARD_TEST_SCYLLA_USERNAME
      ? {
          authProvider: new cassandra.auth.PlainTextAuthProvider(
            env.SWITCHBOARD_TEST_SCYLLA_USERNAME,
            env.SWITCHBOARD_TEST_SCYLLA_PASSWORD ?? '',
          ),
        }
      : {}),
  });
}

export interface ReadStats {
  liveRows: number;
  tombstoneCells: number;
}

/**
 * Runs a read with query tracing and returns what the replica reported reading. Cassandra
 * traces "Read N live rows and M tombstone cells" per read; ScyllaDB traces page stats with
 * live and dead row counts. No stats line at all is an error (never a silent zero).
 */
export async function tracedRead(
  client: cassandra.Client,
  query: string,
  params: unknown[],
): Promise<ReadStats> {
  const result = await client.execute(query, params, { prepare: true, traceQuery: true });
  const traceId = result.info.traceId;
  if (!traceId) throw new Error('the server returned no trace id');
  // Trace events are written asynchronously; the driver waits for a finished session.
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const trace = (await client.metadata.getTrace(traceId)) as { events: { activity: string }[] };
    const stats = { liveRows: 0, tombstoneCells: 0, found: false };
    for (const { activity } of trace.events) {
      const cassandraStats = /Read (\d+) live rows and (\d+) tombstone cells/.exec(activity);
      if (cassandraStats) {
        stats.found = true;
        stats.liveRows += Number(cassandraStats[1]);
        stats.tombstoneCells += Number(cassandraStats[2]);
      }
      const scyllaStats = /\((\d+) live, (\d+) dead\) and (\d+) range tombstone/.exec(activity);
      if (scyllaStats) {
        stats.found = true;
        stats.liveRows += Number(scyllaStats[1]);
        stats.tombstoneCells += Number(scyllaStats[2]) + Number(scyllaStats[3]);
      }
    }
    if (stats.found) return { liveRows: stats.liveRows, tombstoneCells: stats.tombstoneCells };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`no read statistics in the trace of: ${query}`);
}
