/**
 * `npm run -s register:generate -- [rows] > register.csv`: a register file for the organisation import
 * benchmark: municipalities and regions, each with three departments of two units, rows in a scrambled
 * order (children before their parents too), so the import must order the tree itself.
 */
const rows = Number(process.argv[2] ?? 20_000);
const perEntity = 10;
const lines: string[] = [];
for (let m = 0; m < Math.ceil(rows / perEntity); m++) {
  const number = `21${String(3000 + m).padStart(4, '0')}-${String(m).padStart(4, '0')}`;
  lines.push(`${number},Kommun ${m},${m % 10 === 0 ? 'region' : 'municipality'},`);
  for (let f = 0; f < 3; f++) {
    const department = `${number}-F${f}`;
    lines.push(`${department},Förvaltning ${f} i kommun ${m},unit,${number}`);
    for (let e = 0; e < 2; e++) lines.push(`${department}-E${e},Enhet ${e} för förvaltning ${f},unit,${department}`);
  }
}
const body = lines.slice(0, rows);
for (let i = body.length - 1; i > 0; i--) {
  const j = (i * 7919) % (i + 1);
  [body[i], body[j]] = [body[j], body[i]];
}
process.stdout.write(['registrationNumber,name,kind,parentRegistrationNumber', ...body].join('\n') + '\n');
