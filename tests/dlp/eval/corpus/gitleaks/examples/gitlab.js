var gitlabToken = "glagent-6dzh38g64ib1f5tr3a6ghri6hte62o0lnqx54jivohapqkau4z"
var gitlabToken = "glpat-pp5xi8sb6bx1bl4p9zzn"
var gitlabToken = "glrt-qzf1plt97o0hct573d1n"
