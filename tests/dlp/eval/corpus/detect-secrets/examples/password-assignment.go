db_pass := m{{h}o)p${e]nob(ody[finds>-_$#thisone}}
db_pass_secure := m{{h}o)p${e]nob(ody[finds>-_$#thisone}}
passwd := m{{h}o)p${e]nob(ody[finds>-_$#thisone}},
password := m{{h}o)p${e]nob(ody[finds>-_$#thisone}}`
