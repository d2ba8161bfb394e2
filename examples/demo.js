// A cell: reads four files of the repository and hashes them, on the host, with Promise.all.
const paths = ["package.json", "README.md", "pnpm-workspace.yaml", "tsconfig.base.json"];
const files = await Promise.all(paths.map((path) => tools.read_file({ path })));
const hashes = await Promise.all(files.map((file) => tools.sha256({ text: file.text })));
for (let i = 0; i < files.length; i++) {
  text(`${files[i].path}: ${files[i].lines} lines, ${files[i].bytes} bytes, sha256 ${hashes[i].slice(0, 16)}`);
}
notify(`hashed ${files.length} files`);
text(`total bytes: ${files.reduce((sum, file) => sum + file.bytes, 0)}`);
