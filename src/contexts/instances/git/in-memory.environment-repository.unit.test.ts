import { environmentRepositoryContract } from './environment-repository.contract.js';
import { InMemoryEnvironmentRepository } from './in-memory.environment-repository.js';

environmentRepositoryContract('in memory', {
  async repository() {
    const repo = new InMemoryEnvironmentRepository();
    return {
      client: (options) => repo.client(options),
      folderAt: async (sha, folder) => repo.folderAt(sha, folder),
      history: async () => repo.history(),
      commitByOther: async (path, content) => repo.commitFileAsOther(path, content, `Add ${path}`),
    };
  },
});
