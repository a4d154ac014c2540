const discord = 'Nzk5MjgxNDk0NDc2NDU1OTg3.YABS5g.2lmzECVlZv3vv6miVnUaKPQi2wI';
const discord = '=MTAyOTQ4MTN5OTU5MTDwMEcxN.GSwJyi.sbaw8msOR3Wi6vPUzeIWy_P0vJbB0UuRVjH8l8';
const telegramToken = '110201543:AAHdqTcvCH1vGWJxfSe1ofSAs0K5PALDsaw';
