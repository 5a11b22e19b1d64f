// npm scripts must run on the Node 24 the project brings (devDependency "node"), not the machine's own.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(`Node ${process.versions.node} is running the scripts; the project needs Node 24 (run npm install first).`);
  process.exit(1);
}
