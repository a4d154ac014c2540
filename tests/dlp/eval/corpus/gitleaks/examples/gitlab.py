gitlab_api_token = "gldt-e8k2rzla9dip98ctn271"
GITLAB_TOKEN = "glffct-q0owt0eyzvuz0udpvwys"
gitlabToken="glimt-qog89zjiregi7chrsq2j6mtto"
gitlabToken="gloas-r8ag46efw63l2qjak9qjun06wsctvbjqx86kwhnzcdw658ybeeioixx6efoy2i3i"
GITLAB_TOKEN = "glptt-26aacd3d357032ef627daf989bb0efc3ed98fca2"
gitlabToken = "glrt-t5_6fo6c84q49conmddv7snarftfm0.vw99w3hj9"
gitlabToken = "glsoat-rvu1846q9dyehlkfprqs"
gitlabToken = '_gitlab_session=cevku731cz6ljwvne928ulmz3syaopb8'
