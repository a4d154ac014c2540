password => "m{{h}o)p${e]nob(ody[finds>-_$#thisone}}"
