// Static checks whose findings become SARIF for Gantry's security gate; core rules only, so the
// build needs nothing installed beyond ESLint itself.
export default [
  {
    files: ['src/**/*.js'],
    languageOptions: { ecmaVersion: 2024, sourceType: 'module' },
    rules: {
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
      'no-unused-vars': 'warn',
      'no-unreachable': 'error',
      eqeqeq: 'warn',
    },
  },
];
