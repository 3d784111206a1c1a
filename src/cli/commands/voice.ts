import type { Command } from 'commander';
import { withSwitchboard } from '../context.js';
import { table } from '../output.js';

/** `switchboard voice price | branches | deliver`: quick looks at the voice module without the server. */
export function register(program: Command): void {
  const voice = program.command('voice').description('voice agent data: gold price, branches, SMS delivery');

  voice
    .command('price')
    .description(
      'print the current simulated gold price (drawing and storing one if the cached price is stale)',
    )
    .action(async (_opts: unknown, command: Command) => {
      await withSwitchboard(
        command,
        async (switchboard) => {
          const p = await switchboard.voice.goldPrice.current();
          const band = switchboard.voice.goldPrice.band();
          console.log(
            table([
              ['PURITY', 'INR/GRAM'],
              ['24k', p.price24k],
              ['22k', p.price22k],
              ['18k', p.price18k],
            ]),
          );
          console.log(
            `base purity ${p.basePurity}; 24k band ${band.low24k} .. ${band.high24k}; as of ${p.updatedAt.toISOString()}`,
          );
        },
        { requireSchema: true },
      );
    });

  voice
    .command('branches')
    .description('list the configured branch directory')
    .action(async (_opts: unknown, command: Command) => {
      await withSwitchboard(command, async (switchboard) => {
        const rows = switchboard.voice.branches
          .list()
          .map((b) => [
            b.id,
            b.name,
            b.city,
            `${b.opens}-${b.closes}`,
            String(b.slotMinutes),
            String(b.capacity),
            b.timezone,
          ]);
        console.log(table([['ID', 'NAME', 'CITY', 'HOURS', 'SLOT MIN', 'CAPACITY', 'TIME ZONE'], ...rows]));
      });
    });

  voice
    .command('deliver')
    .description('settle the simulated SMS deliveries that are due (what the serve worker does every poll)')
    .action(async (_opts: unknown, command: Command) => {
      await withSwitchboard(
        command,
        async (switchboard) => {
          const settled = await switchboard.voice.sms.deliverDue();
          console.log(`settled ${settled} simulated deliveries`);
        },
        { requireSchema: true },
      );
    });
}
