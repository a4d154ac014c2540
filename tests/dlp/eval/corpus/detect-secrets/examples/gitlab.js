const gitlabToken = 'glimt-my-tokens_are-correctAB38';
const gitlabToken = 'glptt-Need5_T00-be-exactly-40-chars--ELse_fail';
