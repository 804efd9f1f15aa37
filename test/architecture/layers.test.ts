import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';

const require = createRequire(import.meta.url);
const config = require('../../.dependency-cruiser.cjs') as IConfiguration;
const CONCEPT = /^src\/(audit|documents|employments|grants|identities|issuers|notifications|orderers|orders|organisations|reports|routines|services|users)\//;

async function cruised(): Promise<ICruiseResult> {
  const result = await cruise(['src'], { ruleSet: config, ...config.options, validate: true }, undefined, {
    tsConfig: { fileName: 'tsconfig.json' },
  });
  return result.output as ICruiseResult;
}

describe('layers', () => {
  it('breaks none of the dependency rules and has no import cycle', async () => {
    const result = await cruised();
    expect(result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
    expect(result.summary.totalCruised).toBeGreaterThan(100);
  }, 120_000);

  it('lets concept folders depend on each other one way only (entities, the one data model, aside)', async () => {
    const result = await cruised();
    const pairs = new Set<string>();
    for (const module of result.modules) {
      const from = CONCEPT.exec(module.source)?.[1];
      if (!from || module.source.endsWith('.entity.ts')) continue;
      for (const dependency of module.dependencies) {
        const to = CONCEPT.exec(dependency.resolved)?.[1];
        if (to && to !== from) pairs.add(`${from} → ${to}`);
      }
    }
    expect(pairs.size).toBeGreaterThan(10);
    const mutual = [...pairs].filter((p) => pairs.has(p.split(' → ').reverse().join(' → ')));
    expect(mutual).toEqual([]);
  }, 120_000);
});
