apikey := "m{{h}o)p${e]nob(ody[finds>-_$#thisone}}"
api_key := 'm{{h}o)p${e]nob(ody[finds>-_$#thisone}}'
aws_secret_access_key := `m{{h}o)p${e]nob(ody[finds>-_$#thisone}}`
private_key := m{{h}o)p${e]nob(ody[finds>-_$#thisone}}'
secret := m{{h}o)p${e]nob(ody[finds>-_$#thisone}}"
secrete := A,.:-¨@*¿?!
