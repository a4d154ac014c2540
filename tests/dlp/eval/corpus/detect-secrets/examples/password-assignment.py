password = "value with quotes and spaces"
password_super_secure = "value with quotes and spaces"
my_password_super_secure = "value with quotes and spaces"
my_password_secure = "m{{h}o)p${e]nob(ody[finds>-_$#thisone}}";
password = "m{{h}o)p${e]nob(ody[finds>-_$#thisone}}"
