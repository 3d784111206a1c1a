import { every, getJson, type ResponseOf } from '../api.js';
import { LineChart } from '../charts.js';
import { Panel, errorText, h, num, table } from '../dom.js';
import { figure } from './overview.js';

type Activity = ResponseOf<'/v1/messaging/activity'>;

/**
 * Messaging: the channel streams are per channel and members only, so there is no stream of
 * the whole service to follow; the page reads GET /v1/messaging/activity every 5 s.
 */
const POLL_MS = 5_000;

export function messagingPage(container: HTMLElement): () => void {
  const rate = new Panel('Messages per minute', { id: 'message-rate', wide: true });
  const busiest = new Panel('Busiest channels', { id: 'busiest' });
  const telegram = new Panel('Telegram bridge', { id: 'telegram' });
  container.append(h('h1', {}, 'Messaging'), h('div', { class: 'grid' }, rate.el, busiest.el, telegram.el));
  const figures = h('div', { class: 'figures' });
  const chartEl = h('div');
  rate.body.append(figures, chartEl);
  const chart = new LineChart(chartEl, [{ label: 'messages/min (last full minute)' }], { height: 200 });
  // One point per minute: the last full minute's count, as the service reports it.
  const history = new Map<number, number>();

  const refresh = async () => {
    let a: Activity;
    try {
      a = await getJson<Activity>('/v1/messaging/activity?limit=10');
    } catch (error) {
      const text = `Messaging activity could not be read: ${errorText(error)}`;
      [rate, busiest, telegram].forEach((p) => p.error(text));
      return;
    }
    const minute = Math.floor(Date.parse(a.at) / 60_000) * 60 - 60;
    history.set(minute, a.messagesLastMinute);
    const xs = [...history.keys()].sort((x, y) => x - y).slice(-120);
    rate.ready();
    chart.set(xs, [xs.map((x) => history.get(x) ?? 0)]);
    figures.replaceChildren(
      figure('This minute so far', num(a.messagesThisMinute), 'messages-this-minute'),
      figure('Last minute', num(a.messagesLastMinute), 'messages-last-minute'),
      figure(a.truncated ? `Channels looked at (of more)` : 'Channels', num(a.scanned), 'channels'),
    );
    if (a.busiest.length === 0) busiest.empty('No messages in the last two minutes.');
    else {
      busiest.ready();
      busiest.body.replaceChildren(
        table(
          ['Channel', 'Kind', 'This minute', 'Last minute', 'Total'],
          a.busiest.map((c) => [
            h('span', { 'data-channel': c.channelId, title: c.channelId }, c.title),
            c.kind,
            num(c.messagesThisMinute),
            num(c.messagesLastMinute),
            num(c.messagesTotal),
          ]),
          { 'data-table': 'busiest' },
        ),
      );
    }
    const t = a.telegram;
    if (t.linkedChats === 0 && t.pending === 0 && t.failed === 0) {
      telegram.empty('No Telegram chat is linked.');
    } else {
      telegram.ready();
      telegram.body.replaceChildren(
        h(
          'div',
          { class: 'figures' },
          figure('linked chats', num(t.linkedChats), 'telegram-chats'),
          figure('sends pending', num(t.pending), 'telegram-pending'),
          figure('failed sends', num(t.failed), 'telegram-failed'),
          figure(
            'lag (oldest pending)',
            t.oldestPendingSeconds === null ? '–' : `${num(t.oldestPendingSeconds)} s`,
            'telegram-lag',
          ),
          figure('updates ignored (1 h)', num(t.ignoredUpdatesLastHour), 'telegram-ignored'),
        ),
        t.lastError ? h('p', { class: 'card-detail' }, `Last failure: ${t.lastError}`) : '',
      );
    }
  };
  const stop = every(POLL_MS, refresh);
  return () => {
    stop();
    chart.destroy();
  };
}
