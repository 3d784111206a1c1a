// Readiness probe for test/servers/start.sh: exits 0 once the server answers a real request
// (Cassandra: a CQL query; Kafka: a metadata request listing the brokers), 1 otherwise.
import cassandra from 'cassandra-driver';
import { Admin } from '@platformatic/kafka';

const kind = process.argv[2];
const timeout = (promise, ms) =>
  Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), ms))]);

try {
  if (kind === 'cassandra') {
    const client = new cassandra.Client({
      contactPoints: ['127.0.0.1'],
      protocolOptions: { port: Number(process.env.CASSANDRA_PORT ?? 9042) },
      localDataCenter: 'datacenter1',
    });
    try {
      const rs = await timeout(client.execute('SELECT release_version FROM system.local'), 5000);
      console.log(`cassandra ${rs.first().release_version}`);
    } finally {
      await client.shutdown().catch(() => {});
    }
  } else if (kind === 'kafka') {
    const admin = new Admin({
      clientId: 'switchboard-probe',
      bootstrapBrokers: [`127.0.0.1:${process.env.KAFKA_PORT ?? 9092}`],
      retries: 0,
    });
    try {
      const metadata = await timeout(admin.metadata({ topics: [] }), 5000);
      console.log(`kafka brokers ${metadata.brokers.size}`);
    } finally {
      await admin.close().catch(() => {});
    }
  } else {
    throw new Error(`unknown server ${kind}`);
  }
  process.exit(0);
} catch (error) {
  console.error(String(error?.message ?? error));
  process.exit(1);
}
