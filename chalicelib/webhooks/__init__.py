"""One adapter per booking system: verify the delivery's signature over the raw body,
then translate it into OptClass booking events. Nothing here touches the store."""
