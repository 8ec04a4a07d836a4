import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PRODUCTION_ENV, PRODUCTION_NODE_FLAGS } from '../src/node-flags';
import { REPO_ROOT } from './support/paths';

/** Runs a one-line script under `flags` in a node of its own and reads the number it prints. */
function numberPrintedWith(flags: readonly string[], script: string): number {
  return Number(execFileSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8' }));
}

describe('production node flags', () => {
  it('npm start passes exactly the flags the benchmark measures with', () => {
    const { scripts } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    // The node that runs the server: not the build check before it (scripts/build.js ... &&).
    const command = /\bnode\s+([^&]*?)\s*dist\/src\/main\.js/.exec(scripts.start ?? '');
    assert.ok(command, `npm start runs node on dist/src/main.js: ${scripts.start}`);
    assert.deepEqual(command[1]!.split(/\s+/).filter(Boolean), [...PRODUCTION_NODE_FLAGS]);
  });

  it('npm start sets the C library environment the benchmark measures with (MALLOC_ARENA_MAX), overridable', () => {
    const { scripts } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const [name, value] of Object.entries(PRODUCTION_ENV)) {
      assert.ok((scripts.start ?? '').includes(`${name}=\${${name}:-${value}} exec node `), `npm start sets ${name}: ${scripts.start}`);
    }
  });

  it('caps the young generation: a process started with them has a smaller new space than without', () => {
    const newSpace = (flags: readonly string[]) =>
      numberPrintedWith(flags, "let k=[];for(let i=0;i<3e6;i++){k.push({i});if(k.length>1e5)k=[]}process.stdout.write(String(require('v8').getHeapSpaceStatistics().find((s)=>s.space_name==='new_space').space_size))");
    assert.ok(newSpace(PRODUCTION_NODE_FLAGS) < newSpace([]), 'the flags shrink the young generation');
  });

  it('bounds the old generation: under promoted garbage, a process with --heap-growing-percent holds less heap than without', () => {
    const growing = PRODUCTION_NODE_FLAGS.filter((flag) => flag.startsWith('--heap-growing-percent='));
    assert.equal(growing.length, 1, 'the production flags set --heap-growing-percent');
    // Objects that outlive two scavenges are promoted, then die: garbage in old space, which V8
    // lets accumulate up to a multiple of the live size before a full collection.
    const peakHeap = (flags: readonly string[]) =>
      numberPrintedWith(flags, 'let max=0;const ring=new Array(40000);for(let i=0;i<4e6;i++){ring[i%ring.length]=new Array(24).fill(i);if((i&0x3fff)===0)max=Math.max(max,process.memoryUsage().heapTotal)}process.stdout.write(String(max))');
    const without = peakHeap([]);
    const withFlag = peakHeap(growing);
    assert.ok(withFlag < without * 0.9, `peak heap ${withFlag} with ${growing[0]}, ${without} without`);
  });
});
