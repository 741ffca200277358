import CHiredis
let _readerFactory = redisReaderCreate
