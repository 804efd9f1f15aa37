import { AssuranceLevel } from '../auth/assurance.js';
import { OrganisationKind } from '../organisations/organisation.entity.js';

/**
 * The demo dataset, modelled on the two seed documents. Pure data: the seeder loads it into an empty
 * database, and `npm run token` reads it (without opening the database) to sign tokens for its people.
 */
export interface DemoOrganisation {
  key: string;
  kind: OrganisationKind;
  name: string;
  registrationNumber?: string;
  children?: DemoOrganisation[];
}

export interface DemoUser {
  email: string;
  givenName: string;
  familyName: string;
  phone?: string;
  employer: string;
  placedAt?: string;
  /** The `acr` their business e-ID usually signs in with. */
  assuranceLevel: AssuranceLevel;
  grants: { service: string; role: string; scope: string; subAreas?: string[] }[];
  note: string;
}

export const demoOrganisations: DemoOrganisation[] = [
  {
    key: 'fk',
    kind: OrganisationKind.AUTHORITY,
    name: 'Försäkringskassan',
    registrationNumber: '202100-5521',
    children: [
      { key: 'fk-verksamhetsstod', kind: OrganisationKind.UNIT, name: 'Verksamhetsstöd Arvidsjaur' },
      { key: 'fk-behorighet', kind: OrganisationKind.UNIT, name: 'Behörighetsadministrationen' },
      { key: 'fk-kundcenter', kind: OrganisationKind.UNIT, name: 'Kundcenter Partner' },
    ],
  },
  {
    key: 'af',
    kind: OrganisationKind.AGENCY,
    name: 'Arbetsförmedlingen',
    registrationNumber: '202100-2114',
    children: [
      { key: 'af-stockholm', kind: OrganisationKind.UNIT, name: 'Arbetsförmedlingen Stockholm' },
      {
        key: 'af-goteborg',
        kind: OrganisationKind.UNIT,
        name: 'Arbetsförmedlingen Göteborg',
        children: [{ key: 'af-goteborg-rehab', kind: OrganisationKind.UNIT, name: 'Rehabilitering Göteborg' }],
      },
    ],
  },
  {
    key: 'stockholm',
    kind: OrganisationKind.MUNICIPALITY,
    name: 'Stockholms stad',
    registrationNumber: '212000-0142',
    children: [{ key: 'stockholm-soc', kind: OrganisationKind.UNIT, name: 'Socialförvaltningen' }],
  },
  { key: 'goteborg', kind: OrganisationKind.MUNICIPALITY, name: 'Göteborgs Stad', registrationNumber: '212000-1355' },
  { key: 'arvidsjaur', kind: OrganisationKind.MUNICIPALITY, name: 'Arvidsjaurs kommun', registrationNumber: '212000-2585' },
  { key: 'region-stockholm', kind: OrganisationKind.REGION, name: 'Region Stockholm', registrationNumber: '232100-0016' },
  {
    key: 'finsam-stockholm',
    kind: OrganisationKind.COORDINATION_ASSOCIATION,
    name: 'Samordningsförbundet Stockholms stad',
    registrationNumber: '222000-2303',
  },
  {
    key: 'viso',
    kind: OrganisationKind.AUTHORITY,
    name: 'VISO (Social- og Boligstyrelsen)',
    registrationNumber: '26144632',
    children: [
      { key: 'viso-nord', kind: OrganisationKind.SUPPLIER, name: 'Specialcenter Nord ApS', registrationNumber: '31122333' },
      { key: 'viso-klinik', kind: OrganisationKind.SUPPLIER, name: 'Børne- og Ungeklinikken A/S', registrationNumber: '35544666' },
    ],
  },
];

export const demoServices = [
  {
    code: 'SUS',
    name: 'SUS – uppföljningssystem för samordningsförbund',
    description: 'Follow-up system for financial coordination (Finsam), owned by Försäkringskassan.',
    owner: 'fk',
    roles: [
      { code: 'registrar', name: 'Registrerare', description: 'Registers participants and efforts.' },
      { code: 'analyst', name: 'Uppföljare', description: 'Reads follow-up statistics.' },
    ],
    subAreas: [] as { code: string; name: string }[],
  },
  {
    code: 'VIAS',
    name: 'VIAS',
    description: "VISO's system for its suppliers, owned by VISO (Social- og Boligstyrelsen).",
    owner: 'viso',
    roles: [
      { code: 'specialist', name: 'Specialist', description: 'Professional specialist; needs a CV per sub-area.' },
      { code: 'administrative', name: 'Administrativ medarbejder', description: "Administrative staff; needs the manager's written approval." },
    ],
    subAreas: [
      { code: 'adults', name: 'Voksenområdet' },
      { code: 'children-youth', name: 'Børne- og ungeområdet' },
    ],
  },
];

export const demoUsers: DemoUser[] = [
  {
    email: 'anna.registrar@stockholm.se',
    givenName: 'Anna',
    familyName: 'Lindqvist',
    phone: '+46 8 508 000 01',
    employer: 'stockholm-soc',
    assuranceLevel: AssuranceLevel.SUBSTANTIAL,
    grants: [{ service: 'SUS', role: 'registrar', scope: 'stockholm' }],
    note: 'municipal employee, SUS registrar',
  },
  {
    email: 'erik.analyst@arbetsformedlingen.se',
    givenName: 'Erik',
    familyName: 'Johansson',
    employer: 'af-stockholm',
    placedAt: 'finsam-stockholm',
    assuranceLevel: AssuranceLevel.SUBSTANTIAL,
    grants: [{ service: 'SUS', role: 'analyst', scope: 'finsam-stockholm' }],
    note: 'Arbetsförmedlingen employee placed at a coordination association, SUS analyst',
  },
  {
    email: 'mette.specialist@specialcenter-nord.dk',
    givenName: 'Mette',
    familyName: 'Nielsen',
    phone: '+45 20 11 22 33',
    employer: 'viso-nord',
    assuranceLevel: AssuranceLevel.SUBSTANTIAL,
    grants: [{ service: 'VIAS', role: 'specialist', scope: 'viso-nord', subAreas: ['adults', 'children-youth'] }],
    note: 'VISO supplier specialist (both sub-areas)',
  },
  {
    email: 'lars.admin@boerneklinikken.dk',
    givenName: 'Lars',
    familyName: 'Hansen',
    employer: 'viso-klinik',
    assuranceLevel: AssuranceLevel.SUBSTANTIAL,
    grants: [{ service: 'VIAS', role: 'administrative', scope: 'viso-klinik' }],
    note: 'VISO supplier administrative staff',
  },
  {
    email: 'karin.admin@forsakringskassan.se',
    givenName: 'Karin',
    familyName: 'Berg',
    employer: 'fk-behorighet',
    assuranceLevel: AssuranceLevel.HIGH,
    grants: [],
    note: "Försäkringskassan's access administration (administers SUS as its authority)",
  },
  {
    email: 'maria.manager@stockholm.se',
    givenName: 'Maria',
    familyName: 'Ek',
    employer: 'stockholm-soc',
    assuranceLevel: AssuranceLevel.SUBSTANTIAL,
    grants: [],
    note: 'municipal manager (becomes an orderer)',
  },
  {
    email: 'jonas.issuer@arbetsformedlingen.se',
    givenName: 'Jonas',
    familyName: 'Svensson',
    employer: 'af',
    assuranceLevel: AssuranceLevel.HIGH,
    grants: [],
    note: "Arbetsförmedlingen's access administrator (its SUS issuer)",
  },
  {
    email: 'sofie.viso@sbst.dk',
    givenName: 'Sofie',
    familyName: 'Madsen',
    employer: 'viso',
    assuranceLevel: AssuranceLevel.HIGH,
    grants: [],
    note: "VISO's supplier team (administers VIAS as its authority)",
  },
];

/** Flattens the demo tree into (organisation, parent key) pairs, parents first. */
export function flattenDemoOrganisations(
  nodes: DemoOrganisation[] = demoOrganisations,
  parent: string | null = null,
): { org: DemoOrganisation; parent: string | null }[] {
  return nodes.flatMap((org) => [{ org, parent }, ...flattenDemoOrganisations(org.children ?? [], org.key)]);
}

/** The registration number of the legal entity a demo organisation belongs to (units inherit it). */
export function demoRegistrationNumber(key: string): string | undefined {
  const all = flattenDemoOrganisations();
  let current = all.find((e) => e.org.key === key);
  while (current && !current.org.registrationNumber) current = all.find((e) => e.org.key === current!.parent);
  return current?.org.registrationNumber;
}

/** Who administers each service for its authority from the start. */
export const demoAuthorityAdministrators = [
  { email: 'karin.admin@forsakringskassan.se', service: 'SUS' },
  { email: 'sofie.viso@sbst.dk', service: 'VIAS' },
];

/**
 * Machine clients from the start, each known to the development issuer by its name as `client_id`
 * (`npm run token -- --client <name>`): two services' back ends and two organisations' HR systems.
 */
export const demoClients: { name: string; service?: string; organisation?: string; note: string }[] = [
  { name: 'sus-backend', service: 'SUS', note: "SUS's back end: SUS grants and their holders" },
  { name: 'vias-backend', service: 'VIAS', note: "VIAS's back end: VIAS grants and their holders" },
  { name: 'af-hr', organisation: 'af', note: "Arbetsförmedlingen's HR system: its subtree's people" },
  { name: 'stockholm-hr', organisation: 'stockholm', note: "Stockholms stad's HR system: its subtree's people" },
];
