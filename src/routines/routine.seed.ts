import { AssuranceLevel } from '../auth/assurance.js';
import { DocumentKind } from '../documents/document.entity.js';
import { OrganisationKind } from '../organisations/organisation.entity.js';
import { Decider, SensitiveAction, type RoutineRules } from './routine.rules.js';

/** The routines the seed documents describe, as (service, kind, from, name, rules). */
const susBase: RoutineRules = {
  decider: Decider.RESPONSIBLE_ISSUER,
  issuerThreshold: 50,
  eligibleOrganisationKinds: [OrganisationKind.AGENCY, OrganisationKind.MUNICIPALITY, OrganisationKind.REGION, OrganisationKind.COORDINATION_ASSOCIATION],
  orderingRequiresOrderer: false,
  selfRegistration: false,
  ordererRequestAttachments: [DocumentKind.ORDERER_REQUEST_FORM],
  roles: {
    registrar: { attachments: [DocumentKind.ORDER_FORM], attachmentsPerSubArea: false, quotaPerOrganisation: null },
    analyst: { attachments: [DocumentKind.ORDER_FORM], attachmentsPerSubArea: false, quotaPerOrganisation: null },
  },
  assurance: {
    [SensitiveAction.MANDATE_GRANT]: AssuranceLevel.HIGH,
    [SensitiveAction.MANDATE_END]: AssuranceLevel.HIGH,
    [SensitiveAction.APPOINTMENT_DECIDE]: AssuranceLevel.SUBSTANTIAL,
    [SensitiveAction.APPOINTMENT_REVOKE]: AssuranceLevel.SUBSTANTIAL,
    [SensitiveAction.ORDER_DECIDE]: AssuranceLevel.SUBSTANTIAL,
  },
};

export const seedRoutines: { service: string; kind: OrganisationKind | null; from: string; name: string; rules: RoutineRules }[] = [
  { service: 'SUS', kind: null, from: '2013-06-12', name: 'SUS behörigheter', rules: susBase },
  // "Fr.o.m. 21 april gäller nya rutiner" for municipalities, regions and coordination associations:
  // orders come from appointed orderers.
  ...[OrganisationKind.MUNICIPALITY, OrganisationKind.REGION, OrganisationKind.COORDINATION_ASSOCIATION].map((kind) => ({
    service: 'SUS',
    kind,
    from: '2014-04-21',
    name: 'SUS nya rutiner för kommun, landsting och samordningsförbund',
    rules: { ...susBase, orderingRequiresOrderer: true },
  })),
  // Försäkringskassan's own managers sign their orders digitally (form 9460).
  {
    service: 'SUS',
    kind: OrganisationKind.AUTHORITY,
    from: '2013-06-12',
    name: 'SUS för Försäkringskassans anställda (9460, signerad digitalt)',
    rules: { ...susBase, assurance: { ...susBase.assurance, [SensitiveAction.ORDER_SUBMIT]: AssuranceLevel.HIGH } },
  },
  {
    service: 'VIAS',
    kind: null,
    from: '2023-08-31',
    name: 'VIAS adgang for VISO-leverandører',
    rules: {
      decider: Decider.AUTHORITY,
      issuerThreshold: 50,
      eligibleOrganisationKinds: [OrganisationKind.SUPPLIER],
      orderingRequiresOrderer: false,
      selfRegistration: true,
      ordererRequestAttachments: [DocumentKind.ORDERER_REQUEST_FORM],
      roles: {
        specialist: { attachments: [DocumentKind.CV], attachmentsPerSubArea: true, quotaPerOrganisation: null },
        administrative: { attachments: [DocumentKind.MANAGER_APPROVAL], attachmentsPerSubArea: false, quotaPerOrganisation: 2 },
      },
      assurance: {
        [SensitiveAction.MANDATE_GRANT]: AssuranceLevel.HIGH,
        [SensitiveAction.MANDATE_END]: AssuranceLevel.HIGH,
        [SensitiveAction.ORDER_SUBMIT]: AssuranceLevel.SUBSTANTIAL,
        [SensitiveAction.ORDER_DECIDE]: AssuranceLevel.SUBSTANTIAL,
      },
    },
  },
];
