GITLAB_TOKEN = "gldt-HwllOuhfw-wu0rlD_yep"
