import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Studio } from '../../main/studio.js';
import { defaultTrainConfig } from '../../shared/config.js';
import { tempDir } from '../helpers/temp.js';

let studio: Studio | null = null;
function open(): Studio {
  studio = new Studio({ dataDir: tempDir(), shell: 'serve' });
  return studio;
}
afterEach(async () => {
  await studio?.close();
  studio = null;
});

describe('router', () => {
  it('answers app.info with versions, data folder and backends', async () => {
    const s = open();
    const envelope = await s.router.call('app.info', {});
    expect(envelope.ok).toBe(true);
    if (!envelope.ok) return;
    const info = envelope.result as Awaited<ReturnType<Studio['info']>>;
    expect(info.dataDir).toBe(s.options.dataDir);
    expect(info.versions.node).toBe(process.versions.node);
    expect(info.backends.map((b) => b.name)).toEqual(['tensorflow', 'webgpu', 'wasm', 'cpu']);
    expect(info.backends.find((b) => b.name === 'wasm')?.available).toBe(true);
  });

  it('refuses an unknown method with a typed error', async () => {
    const envelope = await open().router.call('runs.explode', {});
    expect(envelope).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
  });

  it('names the offending field on bad input and writes nothing', async () => {
    const s = open();
    const run = s.runs.create({ name: 'keep me', datasetId: null, config: defaultTrainConfig });
    const bad = await s.router.call('runs.update', { id: run.id, tags: ['ok', 42] });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_input', field: 'tags.1' } });
    if (!bad.ok) expect(bad.error.message).toMatch(/tags\.1/);
    const unknownField = await s.router.call('runs.update', { id: run.id, colour: 'red' });
    expect(unknownField).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    const wrongType = await s.router.call('runs.update', { id: run.id, name: 7 });
    expect(wrongType).toMatchObject({ ok: false, error: { code: 'invalid_input', field: 'name' } });
    expect(s.runs.get(run.id)).toMatchObject({ name: 'keep me', tags: [] });
  });

  it('lists, updates and deletes runs', async () => {
    const s = open();
    const run = s.runs.create({
      name: 'r1',
      datasetId: null,
      config: defaultTrainConfig,
      status: 'finished',
    });
    expect(await s.router.call('runs.list', {})).toMatchObject({
      ok: true,
      result: [{ id: run.id, name: 'r1' }],
    });
    const updated = await s.router.call('runs.update', {
      id: run.id,
      name: 'better',
      tags: ['cats'],
      notes: 'n',
    });
    expect(updated).toMatchObject({ ok: true, result: { name: 'better', tags: ['cats'], notes: 'n' } });
    expect(await s.router.call('runs.get', { id: run.id })).toMatchObject({
      ok: true,
      result: { config: defaultTrainConfig, samples: [] },
    });
    expect(await s.router.call('runs.delete', { id: run.id })).toEqual({
      ok: true,
      result: { deleted: true },
    });
    expect(await s.router.call('runs.get', { id: run.id })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
  });

  it('reports a missing run as not_found with a message saying what to do', async () => {
    const envelope = await open().router.call('runs.update', { id: 'run-nope', name: 'x' });
    expect(envelope).toMatchObject({ ok: false, error: { code: 'not_found' } });
    if (!envelope.ok) expect(envelope.error.message).toMatch(/refresh/);
  });
});

describe('checkpoint stars', () => {
  it('stars a checkpoint so pruning keeps it, and refuses a missing one', async () => {
    const s = open();
    const run = s.runs.create({ name: 'r', datasetId: null, config: defaultTrainConfig, status: 'paused' });
    s.runs.addCheckpoint(run.id, 10, 'checkpoints/step-0000010.ckpt');
    expect(await s.router.call('runs.starCheckpoint', { id: run.id, step: 10, starred: true })).toEqual({
      ok: true,
      result: { step: 10, starred: true },
    });
    expect(s.runs.checkpoints(run.id)).toMatchObject([{ step: 10, starred: true }]);
    expect(await s.router.call('runs.starCheckpoint', { id: run.id, step: 11, starred: true })).toMatchObject(
      {
        ok: false,
        error: { code: 'not_found', field: 'step' },
      },
    );
  });
});

describe('runs trained by another process', () => {
  it('are left running on open and cannot be paused, resumed or deleted from here', async () => {
    const first = open();
    const run = first.runs.create({
      name: 'cli run',
      datasetId: null,
      config: defaultTrainConfig,
      status: 'running',
    });
    // As if `gan-studio train` (alive: the test runner's parent) trained it on this data folder.
    first.runs.update(run.id, { owner: `${os.hostname()}:${process.ppid}` });
    await first.close();
    studio = null;
    const second = (studio = new Studio({ dataDir: first.options.dataDir, shell: 'serve' }));
    expect(second.runs.get(run.id)?.status).toBe('running');
    for (const method of ['training.pause', 'training.resume', 'training.stop', 'runs.delete'] as const) {
      const envelope = await second.router.call(method, { id: run.id });
      expect(envelope).toMatchObject({ ok: false, error: { code: 'conflict' } });
      if (!envelope.ok) expect(envelope.error.message).toContain(`pid ${process.ppid}`);
    }
  });
});

describe('datasets.add', () => {
  it('takes an absolute path only, and refuses the root and the home folder, saying what to choose', async () => {
    const s = open();
    // The home folder, as os.homedir() reads it (tests run in forked processes: the env is theirs).
    const home = tempDir();
    fs.mkdirSync(path.join(home, 'pictures'));
    const savedHome = process.env['HOME'];
    process.env['HOME'] = home;
    try {
      const add = async (folder: string) => {
        const envelope = await s.router.call('datasets.add', { path: folder });
        // Were it accepted, its scan would read a whole disk or home: stop it at once.
        if (envelope.ok) {
          await s.router.call('datasets.cancelScan', { id: (envelope.result as { id: string }).id });
        }
        return envelope;
      };
      for (const relative of ['../..', 'images', './pictures', '~/pictures']) {
        expect({ relative, envelope: await add(relative) }).toMatchObject({
          relative,
          envelope: {
            ok: false,
            error: { code: 'invalid_input', field: 'path', message: expect.stringMatching(/full path/) },
          },
        });
      }
      expect(await add('/')).toMatchObject({
        ok: false,
        error: {
          code: 'invalid_input',
          field: 'path',
          message: expect.stringMatching(/root of the file system.*Choose the folder that holds/),
        },
      });
      for (const folder of [home, `${home}/`, path.join(home, 'pictures', '..')]) {
        expect({ folder, envelope: await add(folder) }).toMatchObject({
          folder,
          envelope: {
            ok: false,
            error: {
              code: 'invalid_input',
              field: 'path',
              message: expect.stringMatching(/home folder.*Choose the folder that holds/),
            },
          },
        });
      }
      expect(s.datasets.list()).toEqual([]);
      // A folder in it is what is meant.
      expect(await add(path.join(home, 'pictures'))).toMatchObject({ ok: true });
    } finally {
      if (savedHome === undefined) delete process.env['HOME'];
      else process.env['HOME'] = savedHome;
    }
  });
});
