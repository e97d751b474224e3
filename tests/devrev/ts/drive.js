// Drives the official @devrev/typescript-sdk, unchanged but for endpoint and token, against
// incidenthub. Prints one JSON document with what each call answered; the pytest test checks it.
const { client } = require('@devrev/typescript-sdk');

async function main() {
  const api = client.setupBeta({ endpoint: process.env.DEVREV_ENDPOINT, token: process.env.DEVREV_TOKEN });
  const out = {};
  const created = await api.incidentsCreate({
    title: 'Checkout down',
    body: '5xx on /checkout',
    severity: 1,
    owned_by: ['DEVU-1'],
    tags: [{ tag_id: 'payments', value: 'checkout' }],
    stage: { stage: 'acknowledged', notes: 'paged' },
  });
  out.createStatus = created.status;
  out.created = created.data.incident;
  const id = out.created.id;
  await api.incidentsCreate({ title: 'Second', severity: 2 });
  await api.incidentsCreate({ title: 'Third', severity: 3 });

  out.get = (await api.incidentsGet({ id })).data.incident;
  out.getPost = (await api.incidentsGetPost({ id: out.created.display_id })).data.incident;

  // Arrays on GET go out as "a","b" (the SDK's interceptor).
  out.listGet = (await api.incidentsList({ severity: [1, 2], limit: 1 })).data;
  out.listGetNext = (await api.incidentsList({ severity: [1, 2], limit: 1, cursor: out.listGet.next_cursor })).data;
  out.listPost = (await api.incidentsListPost({ title: ['Third'], created_date: { type: 'range', after: '2000-01-01T00:00:00Z' } })).data;

  out.updated = (await api.incidentsUpdate({
    id,
    title: 'Checkout degraded',
    severity: 2,
    owned_by: { set: ['DEVU-2'] },
    stage: { stage: 'identified' },
  })).data.incident;

  out.group = (await api.incidentsGroup({ group_by: 'severity' })).data;

  try {
    await api.incidentsUpdate({ id, severity: 99 });
  } catch (error) {
    out.error = { status: error.status ?? error.response?.status, body: error.error ?? error.response?.data };
  }

  const deleted = await api.incidentsDelete({ id });
  out.deleteStatus = deleted.status;
  out.deleted = deleted.data;
  try {
    await api.incidentsGet({ id });
  } catch (error) {
    out.afterDelete = { status: error.status ?? error.response?.status, body: error.error ?? error.response?.data };
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + '\n');
  if (error && error.response) process.stderr.write(JSON.stringify(error.response.data) + '\n');
  process.exit(1);
});
