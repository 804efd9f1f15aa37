import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demo, startTestHub, type TestHub } from '../support/hub.js';

const ME = /* GraphQL */ `
  query Me {
    me {
      id
      displayName
      email
      profileComplete
      employer { name kind registrationNumber parent { name } }
      placements { organisation { name kind } }
      grants(first: 10) {
        totalCount
        nodes { state role { code } service { code } scope { name } subAreas { code } issuedBy { name } }
      }
    }
  }
`;

interface MeData {
  me: null | {
    id: string;
    displayName: string;
    email: string;
    profileComplete: boolean;
    employer: { name: string; kind: string; registrationNumber: string | null; parent: { name: string } | null };
    placements: { organisation: { name: string; kind: string } }[];
    grants: {
      totalCount: number;
      nodes: { state: string; role: { code: string }; service: { code: string }; scope: { name: string }; subAreas: { code: string }[]; issuedBy: { name: string } }[];
    };
  };
}

describe('me', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(() => hub.close());

  it('returns the signed-in user with their employer and grants', async () => {
    const res = await hub.as<MeData>(demo.erik, ME);
    expect(res.errors).toBeUndefined();
    const me = res.data!.me!;
    expect(me.displayName).toBe('Erik Johansson');
    expect(me.employer).toEqual({ name: 'Arbetsförmedlingen Stockholm', kind: 'UNIT', registrationNumber: null, parent: { name: 'Arbetsförmedlingen' } });
    expect(me.placements).toEqual([{ organisation: { name: 'Samordningsförbundet Stockholms stad', kind: 'COORDINATION_ASSOCIATION' } }]);
    expect(me.grants.totalCount).toBe(1);
    expect(me.grants.nodes[0]).toEqual({
      state: 'ACTIVE',
      role: { code: 'analyst' },
      service: { code: 'SUS' },
      scope: { name: 'Samordningsförbundet Stockholms stad' },
      subAreas: [],
      issuedBy: { name: 'Försäkringskassan' },
    });
  });

  it('shows sub-areas of a grant', async () => {
    const res = await hub.as<MeData>(demo.mette, ME);
    expect(res.data!.me!.grants.nodes[0].subAreas.map((s) => s.code)).toEqual(['adults', 'children-youth']);
  });

  it('is null without a token, and the service list is public', async () => {
    const res = await hub.gql<{ me: null; services: { totalCount: number; nodes: { code: string; owner: { name: string } }[] } }>(
      '{ me { id } services { totalCount nodes { code owner { name } } } }',
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.me).toBeNull();
    expect(res.data!.services.totalCount).toBe(2);
    expect(res.data!.services.nodes.map((s) => s.code)).toEqual(['SUS', 'VIAS']);
  });

  it('refuses scoped lists without a token', async () => {
    const res = await hub.gql('{ organisations { totalCount } }');
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.data).toBeUndefined();
  });
});
