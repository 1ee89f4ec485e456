/** A fake's rules, tried in order before its scripted queue: adding one returns its removal. */
export function ruleList<R>(): { rules: R[]; add(rule: R): () => void } {
  const rules: R[] = [];
  return {
    rules,
    add(rule) {
      rules.push(rule);
      return () => {
        const i = rules.indexOf(rule);
        if (i !== -1) rules.splice(i, 1);
      };
    },
  };
}
