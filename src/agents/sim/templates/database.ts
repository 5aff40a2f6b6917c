// MiniDB (database): a tiny SQL database, written by the sim as a small real
// JavaScript project. Each component's templates are in database/, one file
// each.

import { tokenizer } from './database/tokenizer.js';
import { parser } from './database/parser.js';
import { btree } from './database/btree.js';
import { pager } from './database/pager.js';
import { executor } from './database/executor.js';
import { transactions } from './database/transactions.js';

export const DATABASE_PROJECT = {
  name: 'MiniDB',
  packageName: 'minidb',
  description: 'A tiny SQL database: tokenizer, parser, B-tree index, pages, executor, transactions with a WAL.',
  components: [tokenizer, parser, btree, pager, executor, transactions],
  vocabulary: ['page', 'index', 'row', 'column', 'cursor', 'latch', 'segment', 'snapshot', 'vacuum', 'schema'],
};
