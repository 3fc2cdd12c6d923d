import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';

/** The sample's gRPC service (`sample.Echo`), served when `GRPC_PORT` is set. */
@Controller()
export class EchoController {
  @GrpcMethod('Echo', 'Say')
  say({ text }: { text: string }): { text: string } {
    return { text };
  }
}
