import { mkdirSync } from 'node:fs';
import { ROLES, type Role } from '@weft/schema';
import { hashPassword, loadConfig, openStore } from '@weft/server';

export async function userAdd(values: Record<string, string | boolean | undefined>): Promise<number> {
  const email = str(values.email);
  const password = str(values.password);
  if (!email || !password) throw new Error('user add needs --email and --password');
  if (password.length < 10) throw new Error('the password must have at least 10 characters');
  const role = (str(values.role) ?? 'administrator') as Role;
  if (!ROLES.includes(role)) throw new Error(`--role must be one of ${ROLES.join(', ')}`);
  const config = loadConfig();
  mkdirSync(config.dataDir, { recursive: true });
  const store = openStore(config);
  try {
    await store.migrate();
    const passwordHash = await hashPassword(password);
    const name = str(values.name) ?? email.split('@')[0]!;
    const companyId = str(values['company-id']);
    if (companyId) {
      if (!(await store.getCompany(companyId))) throw new Error(`no company with id ${companyId}`);
      const user = await store.createUser(companyId, { name, email, passwordHash, role });
      console.log(JSON.stringify({ company_id: companyId, user_id: user.id, email: user.email, role: user.role }));
    } else {
      const { company, user } = await store.createCompanyWithAdmin({
        companyName: str(values.company) ?? `${name}'s company`,
        name,
        email,
        passwordHash,
      });
      console.log(JSON.stringify({ company_id: company.id, user_id: user.id, email: user.email, role: user.role }));
    }
    return 0;
  } finally {
    await store.close();
  }
}

function str(v: string | boolean | undefined): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
