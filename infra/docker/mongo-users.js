// Runs once, on an empty volume (the mongo image's /docker-entrypoint-initdb.d, as the root user the
// image creates from MONGO_INITDB_ROOT_USERNAME/PASSWORD): one user per service, allowed to read and
// write its own database and nothing else. Passwords come from the env file (.env.example).
const services = {
  harvest: 'MONGO_HARVEST_PASSWORD',
  grading: 'MONGO_GRADING_PASSWORD',
  warehouse: 'MONGO_WAREHOUSE_PASSWORD',
  orders: 'MONGO_ORDERS_PASSWORD',
  insights: 'MONGO_INSIGHTS_PASSWORD',
};
const admin = db.getSiblingDB('admin');
for (const [name, variable] of Object.entries(services)) {
  const pwd = process.env[variable];
  if (!pwd) throw new Error(`${variable} is not set (see .env.example)`);
  admin.createUser({ user: `firstmile_${name}`, pwd, roles: [{ role: 'readWrite', db: `firstmile_${name}` }] });
}
