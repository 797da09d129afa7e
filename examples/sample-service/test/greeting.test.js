import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { greeting } from '../src/greeting.js';

describe('greeting', () => {
  it('greets the person named', () => assert.equal(greeting('Ada'), 'Hello, Ada!'));
  it('greets the world when no name is given', () => assert.equal(greeting(null), 'Hello, world!'));
  it('trims a name and ignores one made of spaces', () => {
    assert.equal(greeting('  Ada '), 'Hello, Ada!');
    assert.equal(greeting('   '), 'Hello, world!');
  });
  it('caps a long name at 64 characters', () => assert.equal(greeting('x'.repeat(100)), `Hello, ${'x'.repeat(64)}!`));
});
