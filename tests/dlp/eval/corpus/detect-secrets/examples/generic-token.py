apikey = "m{{h}o)p${e]nob(ody[finds>-_$#thisone}}"
api_key = 'm{{h}o)p${e]nob(ody[finds>-_$#thisone}}'
secrete = "m{{h}o)p${e]nob(ody[finds>-_$#thisone}}"
apikey = "m{{h}o)p${e]nob(ody[finds>-_$#thisone}}";
secrete = "A,.:-¨@*¿?!"
